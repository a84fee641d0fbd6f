"""Persistent lot addresses outside the language prefix (GS1 Digital Link shaped)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
