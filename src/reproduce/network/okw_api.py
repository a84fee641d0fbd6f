"""REST API of the Open Know-Where export and import (mounted at /api/v1/okw)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from reproduce.accounts.models import Organization
from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ApiError, ErrorOut
from reproduce.api.idempotency import idempotent
from reproduce.api.pagination import PageParams
from reproduce.core.permissions import access, require
from reproduce.network import okw

router = Router(tags=["open-know-where"])

FACILITY_DOC = "An Open Know-Where facility: see okw-facility.schema.json (GET /schemas/facility)."


class FacilityPage(Schema):
    items: list[dict[str, Any]] = Field(description=FACILITY_DOC)
    count: int


class ReportEntryOut(Schema):
    pointer: str = Field(description="JSON pointer (RFC 6901) into the document")
    name: str
    kind: str = Field(description="facility, equipment or document")
    facility: int | None = Field(description="Index of the facility in the document")
    equipment: int | None = Field(description="Index of the machine in the facility")
    reason: str = Field(description="Why it was rejected (in your language)")
    fields: list[str] = Field(description="What an update changed")


class ImportReportOut(Schema):
    organization: str
    dry_run: bool
    written: bool = Field(description="Whether anything was saved")
    counts: dict[str, int]
    created: list[ReportEntryOut]
    updated: list[ReportEntryOut]
    unchanged: list[ReportEntryOut]
    rejected: list[ReportEntryOut]


@router.get("/facilities", response=FacilityPage, summary="OKW facilities you may see")
@access("public")
def list_facilities(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Open Know-Where facilities, as your organisation's sharing choices allow you to see them."""
    items, count = okw.facilities_page(request.actor, page.offset, page.limit)  # type: ignore[attr-defined]
    return {"items": items, "count": count}


@router.get("/document", response=dict[str, Any], summary="The whole OKW network document")
@access("public")
def network_document(request: HttpRequest) -> dict[str, Any]:
    """Everything you may see, as one document valid against okw-network.schema.json."""
    return okw.export_facilities(request.actor)  # type: ignore[attr-defined]


@router.get("/schemas/facility", response=dict[str, Any], summary="JSON Schema of a facility")
@access("public")
def facility_schema(request: HttpRequest) -> dict[str, Any]:
    return okw.load_schema(okw.FACILITY_SCHEMA)


@router.get("/schemas/network", response=dict[str, Any], summary="JSON Schema of a document")
@access("public")
def network_schema(request: HttpRequest) -> dict[str, Any]:
    return okw.load_schema(okw.NETWORK_SCHEMA)


def _importing_organization(request: HttpRequest) -> Organization:
    """The organisation named by ``?organization=`` (or the caller's only one); 404 if foreign."""
    actor = require_authenticated(request)
    slug = request.GET.get("organization", "").strip()
    if not slug:
        if len(actor.organization_ids) != 1:
            if not actor.organization_ids:
                raise PermissionDenied(_("Only members of an organisation can import."))
            raise ApiError(
                422,
                "organization_required",
                _("Say which of your organisations imports: ?organization=<short name>."),
            )
        return Organization.objects.get(pk=next(iter(actor.organization_ids)))
    org = Organization.objects.filter(slug=slug, pk__in=list(actor.organization_ids)).first()
    if org is None:
        raise Http404
    return org


def _read_body(request: HttpRequest) -> None:
    """Read up to MAX_DOCUMENT_BYTES into ``request.body``; 413 beyond.

    OKW files may be larger than the site-wide request limit (DATA_UPLOAD_MAX_MEMORY_SIZE), so
    this one operation reads its body itself, with its own limit, before anything else (the
    Idempotency-Key fingerprint) touches ``request.body``.
    """
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > okw.MAX_DOCUMENT_BYTES:
        raise ApiError(413, "request_too_large", okw.too_large_message())
    if hasattr(request, "_body"):
        return
    raw = request.read(okw.MAX_DOCUMENT_BYTES + 1)
    if len(raw) > okw.MAX_DOCUMENT_BYTES:
        raise ApiError(413, "request_too_large", okw.too_large_message())
    request._body = raw  # type: ignore[attr-defined]  # what HttpRequest.body itself caches


def _import_guard(func: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse strangers (401/404/403) before reading a body that may be 5 MB."""

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        actor = require_authenticated(request)
        org = _importing_organization(request)
        require(actor, "okw.import", org.pk)
        _read_body(request)
        return func(request, *args, **kwargs)

    return wrapper


@router.post(
    "/import",
    response={200: ImportReportOut, 413: ErrorOut, 422: ErrorOut},
    summary="Import an OKW document into your organisation",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "An OKW network document (okw-network.schema.json), "
                        "at most 5 MB.",
                    }
                }
            },
        }
    },
)
@access("member", perm="okw.import")
@_import_guard
@idempotent
def import_document(
    request: HttpRequest, organization: str = "", dry_run: bool = False
) -> tuple[int, dict[str, Any]]:
    """Create or update your organisation's sites and machines from an OKW document.

    All or nothing: when any field is rejected nothing is saved and the answer is 422
    ``okw_invalid`` with the report in ``details``. ``dry_run=true`` reports what would happen
    and saves nothing. Importing the same document twice leaves everything unchanged.
    """
    actor = require_authenticated(request)
    org = _importing_organization(request)
    try:
        document = okw.parse_document(request.body)
    except okw.OkwDocumentError as exc:
        if exc.code == "too_large":
            raise ApiError(413, "request_too_large", exc.message) from exc
        report = okw.ImportReport.refused(org.slug, dry_run, exc.message)
    else:
        report = okw.import_facilities(
            actor=actor, organization=org, document=document, dry_run=dry_run
        )
    if not report.ok:
        raise ApiError(
            422,
            "okw_invalid",
            _("The document was not imported: %(count)d problems. Nothing was changed.")
            % {"count": report.rejected_total},
            report.as_dict(),
        )
    return 200, report.as_dict()
