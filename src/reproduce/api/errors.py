"""Stable error codes of the API. The body of every error is ``{"code", "message", "details"}``.

The code never changes once published; the message is in the caller's language.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

# Refusals that are not about the values sent but about the state of the object (409), or
# about the size of what was sent (413). Every other coded refusal answers 422.
STATUS_BY_CODE = {
    "version_released": 409,
    "draft_exists": 409,
    "invalid_transition": 409,
    "version_number": 409,
    "concurrent_change": 409,
    "already_assigned": 409,
    "already_offered": 409,
    "offer_closed": 409,
    "offer_expired": 409,
    "quote_expired": 409,
    "not_manufacturable": 409,
    "slot_taken": 409,
    "already_cancelled": 409,
    "started": 409,
    "insufficient_stock": 409,
    "already_received": 409,
    "lot_blocked": 409,
    "genealogy_cycle": 409,
    "not_running": 409,
    "already_running": 409,
    "already_finished": 409,
    "not_started": 409,
    "not_assigned": 409,
    "location_not_empty": 409,
    "call_locked": 409,
    "not_draft": 409,
    "already_decided": 409,
    "call_not_open": 409,
    "deadline_passed": 409,
    "already_participant": 409,
    "cohort_full": 409,
    "already_requested": 409,
    "de_minimis_exceeded": 409,
    "de_minimis_missing": 409,
    "over_receipts": 409,
    "event_full": 409,
    "registration_closed": 409,
    "not_active": 409,
    "other_cohort": 409,
    "scores_sent": 409,
    "review_closed": 409,
    "conflict_declared": 409,
    "already_declared": 409,
    "decision_sent": 409,
    "nothing_to_send": 409,
    "not_invited": 409,
    "slot_past": 409,
    "not_reviewable": 409,
    "reviewer_in_conflict": 409,
    "file_too_large": 413,
    "image_too_large": 413,
}


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


class ApiError(Exception):
    """Raise from a handler for an error with a specific stable code."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": str(message), "details": details}, status=status
    )


def _validation_details(exc: ValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(
            api, request, 403, "forbidden", _("You do not have the permission to do this.")
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(
            api,
            request,
            401,
            "unauthenticated",
            _("Sign in or send a valid API token (Authorization: Bearer …)."),
        )

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        code = getattr(exc, "code", None)
        if code and not hasattr(exc, "error_dict") and len(exc.messages) == 1:
            # A refusal from a service with a stable code (DesignError, FileRejected…).
            return error_response(
                api, request, STATUS_BY_CODE.get(code, 422), code, exc.messages[0], {}
            )
        return error_response(
            api,
            request,
            422,
            "validation_error",
            _("Some values are not valid."),
            _validation_details(exc),
        )

    @api.exception_handler(NinjaValidationError)
    def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        details = [{"loc": list(e.get("loc", [])), "message": e.get("msg", "")} for e in exc.errors]
        return error_response(
            api,
            request,
            422,
            "invalid_request",
            _("The request does not match the API description."),
            details,
        )

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(
            api, request, 413, "request_too_large", _("The request is too large.")
        )

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.code, exc.message, exc.details)
