"""Fixtures of the accounts tests: fast password hashing, tasks run in-process."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Run django.tasks for real, in the test process (the e-mail lands in mail.outbox)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
