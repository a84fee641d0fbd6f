"""Limit/offset pagination: every list answers ``{"items": [...], "count": N}``."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet
from ninja import Field, Schema

T = TypeVar("T")

MAX_LIMIT = 500


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class Page[T](Schema):
    items: list[T]
    count: int


def page_of(queryset: QuerySet[Any], params: PageParams) -> tuple[list[Any], int]:
    count = queryset.count()
    return list(queryset[params.offset : params.offset + params.limit]), count
