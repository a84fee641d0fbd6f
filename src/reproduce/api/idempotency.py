"""``Idempotency-Key`` for creating POSTs: a retried request returns the first response.

The record is inserted *before* the work runs (unique per user and key), so two concurrent
requests with the same key cannot both create: the second gets 409 until the first finishes.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from pydantic import BaseModel

from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ApiError
from reproduce.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(request.get_full_path().encode())
    digest.update(request.body)
    return digest.hexdigest()


def _render(api: Any, request: HttpRequest, result: Any) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    status, data = result if isinstance(result, tuple) else (200, result)
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", by_alias=True)
    return api.create_response(request, data, status=status)  # type: ignore[no-any-return]


def idempotent(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a creating operation; it returns ``(status, schema)`` and gets an HttpResponse back."""

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from reproduce.api.urls import api

        key = request.headers.get(HEADER, "").strip()
        if not key:
            return _render(api, request, func(request, *args, **kwargs))
        if len(key) > 255:
            raise ApiError(422, "idempotency_key_invalid", _("The Idempotency-Key is too long."))
        actor = require_authenticated(request)
        fingerprint = _fingerprint(request)
        assert actor.user_id is not None
        existing = IdempotencyRecord.objects.filter(user_id=actor.user_id, key=key).first()
        if existing is not None:
            return _replay(existing, fingerprint)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user_id=actor.user_id,
                    key=key,
                    method=request.method or "",
                    path=request.path[:500],
                    request_fingerprint=fingerprint,
                )
        except IntegrityError as exc:
            raise ApiError(
                409,
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still being processed."),
            ) from exc
        try:
            response = _render(api, request, func(request, *args, **kwargs))
        except Exception:
            record.delete()  # a failed attempt may be retried with the same key
            raise
        if response.status_code >= 500:
            record.delete()
            return response
        record.status_code = response.status_code
        record.response_body = response.content
        record.content_type = response.get("Content-Type", "application/json")
        record.save(update_fields=["status_code", "response_body", "content_type"])
        return response

    return wrapper


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.request_fingerprint != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
        )
    if record.status_code is None:
        raise ApiError(
            409,
            "idempotency_in_progress",
            _("A request with this Idempotency-Key is still being processed."),
        )
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.status_code,
        content_type=record.content_type,
    )
    response["Idempotent-Replayed"] = "true"
    return response
