"""REST API of the designs library: designs, versions, BOM, routing, QC, files, build reports.

Handlers validate input, find the object through the tenancy helpers (reads:
``get_visible_or_404``; writes: ``get_for_action_or_404``, which answers 404 outside the
caller's organisations and 403 without the permission) and call ``designs.services``; they
never change a model themselves. A released version is frozen: every write under it answers
409 ``version_released``.
"""

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.decorators import decorate_view

from reproduce.accounts.models import Organization
from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ApiError, ErrorOut, error_response
from reproduce.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from reproduce.api.idempotency import idempotent
from reproduce.api.pagination import Page, PageParams, page_of
from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import (
    access,
    get_for_action_or_404,
    get_visible_or_404,
    require,
)
from reproduce.designs import okh, package, selectors, services
from reproduce.designs.models import (
    BomLine,
    BuildReport,
    Design,
    DesignFile,
    DesignVersion,
    Item,
    ItemKind,
    Operation,
    QcCriterion,
    SopStep,
)
from reproduce.designs.schemas import (
    BomLineIn,
    BomLineOut,
    BomLinePatch,
    BuildForm,
    BuildOut,
    CompareFilters,
    CompareOut,
    CompletenessOut,
    DesignDetailOut,
    DesignFileOut,
    DesignFilePatch,
    DesignIn,
    DesignOut,
    DesignPatch,
    DfmIn,
    DfmOut,
    DraftIn,
    ExplosionFilters,
    ExplosionOut,
    ForkIn,
    ItemCreateIn,
    ItemIn,
    ItemOut,
    OkhImportOut,
    OperationCapabilityOut,
    OperationIn,
    OperationOut,
    OperationPatch,
    OrderIn,
    QcCriterionIn,
    QcCriterionOut,
    QcCriterionPatch,
    ReleaseIn,
    SopStepIn,
    SopStepOut,
    SopStepPatch,
    VersionOut,
    VersionPatch,
    VisibilityIn,
    bom_line_out,
    build_out,
    criterion_out,
    design_detail,
    design_out,
    file_out,
    item_out,
    operation_out,
    org_ref,
    step_out,
    version_out,
    version_ref,
    visible_fork_sources,
)
from reproduce.files.http import blob_response, content_disposition
from reproduce.network.models import Material, Process, Site

router = Router(tags=["designs"])

ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
OKH_MAX_BYTES = 1024 * 1024

# ---------------------------------------------------------------- helpers


def _acting_organization(actor: Actor, slug: str) -> Organization:
    """The organisation named by ``slug`` (one of the caller's) or the caller's active one."""
    if slug:
        org = Organization.objects.filter(slug=slug, pk__in=list(actor.organization_ids)).first()
        if org is None:
            # Naming an organisation one is not a member of is a forged reference.
            raise ValidationError({"organization": _("You are not a member of this organisation.")})
        return org
    if actor.active_organization_id is None:
        raise PermissionDenied(_("Only members of an organisation can do this."))
    return Organization.objects.get(pk=actor.active_organization_id)


def _term(model: type[Process] | type[Material], code: str | None, field: str) -> Any:
    if not code:
        return None
    term = model.objects.filter(code=code).first()
    if term is None:
        raise ValidationError({field: _("Unknown code: %(code)s") % {"code": code}})
    return term


def _visible_version_ref(actor: Actor, version_id: int | None, field: str) -> DesignVersion | None:
    if version_id is None:
        return None
    version = (
        DesignVersion.objects.visible_to(actor)
        .select_related("design")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise ValidationError({field: _("No such version.")})
    return version


def _buffered(run: Callable[..., Any]) -> Callable[..., Any]:
    """Read a small multipart body before Ninja parses it, so that ``@idempotent`` can still
    fingerprint it afterwards (a parsed stream cannot be read twice). A body over the request
    limit is streamed as usual, but cannot be replayed: with an Idempotency-Key it is refused."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            request.body  # noqa: B018 - caches the body for the multipart parser
        except RequestDataTooBig:
            if request.headers.get(IDEMPOTENCY_HEADER):
                from reproduce.api.urls import api

                return error_response(
                    api,
                    request,
                    413,
                    "request_too_large",
                    _("This request is too large to be sent with an Idempotency-Key."),
                )
        return run(request, *args, **kwargs)

    return wrapper


def _library(actor: Actor) -> Any:
    return selectors.library(actor).select_related("forked_from__design")


def _visible_design(actor: Actor, design_id: int) -> Design:
    design = _library(actor).filter(pk=design_id).first()
    if design is None:
        raise Http404
    return design  # type: ignore[no-any-return]


def _design_detail_by_id(actor: Actor, design_id: int) -> dict[str, Any]:
    return design_detail(actor, _visible_design(actor, design_id))


# ---------------------------------------------------------------- designs


@router.get("/designs", response=Page[DesignOut], summary="The designs library")
@access("public")
def list_designs(
    request: HttpRequest,
    page: Query[PageParams],
    kind: str = "",
    q: str = "",
    tag: str = "",
    organization: str = "",
) -> dict[str, Any]:
    """Designs you may see: public ones for everyone, plus network, shared and your own ones
    for members. Filters: ``kind`` (product, component, machine, tool), ``q`` (words of the
    name, summary or licensor), ``tag``, ``organization`` (slug of the owner)."""
    actor = request_actor(request)
    org_id = None
    if organization:
        org_id = Organization.objects.filter(slug=organization).values_list("pk", flat=True).first()
        org_id = org_id if org_id is not None else 0  # an unknown owner has no designs
    designs = selectors.library(actor, kind=kind, text=q, tag=tag, organization_id=org_id)
    items, count = page_of(designs.select_related("forked_from__design"), page)
    sources = visible_fork_sources(actor, items)
    return {"items": [design_out(d, sources) for d in items], "count": count}


@router.post(
    "/designs/import-okh",
    response={201: OkhImportOut, 413: ErrorOut, 422: ErrorOut},
    summary="Import an Open Know-How manifest",
)
@access("member", perm="design.edit")
@decorate_view(_buffered)
@idempotent
def import_okh(
    request: HttpRequest, file: File[UploadedFile], organization: Form[str] = ""
) -> tuple[int, Any]:
    """Create a design from an OKH manifest (``okh.toml`` or ``okh.yml``, multipart field
    ``file``) in your active organisation or the one named by ``organization``. The answer
    says which manifest fields were kept and which were not; a manifest that does not follow
    the OKH schema answers 422 with the schema errors in ``details``."""
    actor = require_authenticated(request)
    org = _acting_organization(actor, organization)
    require(actor, "design.edit", org.pk)
    if (file.size or 0) > OKH_MAX_BYTES:
        raise ApiError(413, "file_too_large", _("An OKH manifest must be smaller than 1 MB."))
    try:
        report = okh.import_okh(
            actor=actor, organization=org, filename=file.name or "okh.toml", data=file.read()
        )
    except okh.OkhInvalid as exc:
        details = {"schema": exc.flavour, "errors": list(exc.errors)}
        raise ApiError(422, "okh_invalid", exc.messages[0], details) from exc
    return 201, OkhImportOut.model_validate(
        {
            "design": design_detail(actor, _visible_design(actor, report.design.pk)),
            "version_id": report.version.pk,
            "flavour": report.flavour,
            "mapped": [str(m) for m in report.mapped],
            "unmapped": [str(m) for m in report.unmapped],
            "warnings": [str(w) for w in report.warnings],
        }
    )


@router.get("/designs/{design_id}", response=DesignDetailOut, summary="One design")
@access("public", object="design_id", model="designs.Design")
def get_design(request: HttpRequest, design_id: int) -> dict[str, Any]:
    """The design with the versions you may see (others see released and obsolete ones)."""
    return _design_detail_by_id(request_actor(request), design_id)


@router.post("/designs", response={201: DesignDetailOut, 422: ErrorOut}, summary="Create a design")
@access("member", perm="design.edit")
@idempotent
def create_design(request: HttpRequest, payload: DesignIn) -> tuple[int, Any]:
    """A new design with its first draft version, in your active organisation or the one
    named by ``organization``."""
    actor = require_authenticated(request)
    org = _acting_organization(actor, payload.organization)
    values = payload.model_dump(exclude={"organization", "number", "visibility"})
    with transaction.atomic():
        design = services.create_design(
            actor=actor, organization=org, values=values, number=payload.number
        )
        if payload.visibility != design.visibility:
            services.set_visibility(actor=actor, design=design, visibility=payload.visibility)
    return 201, DesignDetailOut.model_validate(_design_detail_by_id(actor, design.pk))


@router.patch(
    "/designs/{design_id}", response={200: DesignDetailOut, **ERRORS}, summary="Change a design"
)
@access("member", perm="design.edit", object="design_id", model="designs.Design")
def update_design(request: HttpRequest, design_id: int, payload: DesignPatch) -> dict[str, Any]:
    actor = require_authenticated(request)
    design = get_for_action_or_404(Design, actor, "design.edit", pk=design_id)
    services.update_design(
        actor=actor, design=design, values=payload.model_dump(exclude_unset=True)
    )
    return _design_detail_by_id(actor, design.pk)


@router.put(
    "/designs/{design_id}/visibility",
    response={200: DesignDetailOut, **ERRORS},
    summary="Choose who sees a design",
)
@access("member", perm="design.edit", object="design_id", model="designs.Design")
def set_visibility(request: HttpRequest, design_id: int, payload: VisibilityIn) -> dict[str, Any]:
    """``visibility``: public, network, named or private; ``organizations``: the slugs of the
    organisations it is shared with by name."""
    actor = require_authenticated(request)
    design = get_for_action_or_404(Design, actor, "design.edit", pk=design_id)
    orgs = list(Organization.objects.filter(slug__in=payload.organizations))
    unknown = sorted(set(payload.organizations) - {o.slug for o in orgs})
    if unknown:
        raise ValidationError(
            {"organizations": _("Unknown organisations: %(slugs)s") % {"slugs": ", ".join(unknown)}}
        )
    services.set_visibility(
        actor=actor, design=design, visibility=payload.visibility, organizations=orgs
    )
    return _design_detail_by_id(actor, design.pk)


@router.post(
    "/designs/{design_id}/drafts", response={201: VersionOut, **ERRORS}, summary="Start a new draft"
)
@access("member", perm="design.edit", object="design_id", model="designs.Design")
@idempotent
def start_draft(request: HttpRequest, design_id: int, payload: DraftIn) -> tuple[int, Any]:
    """A new draft copied from the latest version (409 ``draft_exists`` if there is one)."""
    actor = require_authenticated(request)
    design = get_for_action_or_404(Design, actor, "design.edit", pk=design_id)
    draft = services.start_draft(
        actor=actor, design=design, change_note=payload.change_note, number=payload.number
    )
    return 201, VersionOut.model_validate(version_out(actor, draft))


@router.post(
    "/designs/{design_id}/forks",
    response={201: DesignDetailOut, **ERRORS},
    summary="Fork a design into your organisation",
)
@access("member", perm="design.edit", object="design_id", model="designs.Design", on_visible=True)
@idempotent
def fork_design(request: HttpRequest, design_id: int, payload: ForkIn) -> tuple[int, Any]:
    """A derivative of the latest released version of a design you may see, owned by your
    active organisation (or ``organization``), keeping the attribution of the original."""
    actor = require_authenticated(request)
    design = get_visible_or_404(Design, actor, pk=design_id)
    org = _acting_organization(actor, payload.organization)
    require(actor, "design.edit", org.pk)
    version = services.latest_released(design)
    if version is None:
        raise ApiError(
            422,
            "no_released_version",
            _("%(name)s has no released version yet: there is nothing to fork.")
            % {"name": design.name},
        )
    fork = services.fork_design(
        actor=actor,
        version=version,
        organization=org,
        name=payload.name,
        license=payload.license or None,
    )
    return 201, DesignDetailOut.model_validate(_design_detail_by_id(actor, fork.pk))


@router.get(
    "/designs/{design_id}/okh.toml",
    response={200: str, 404: ErrorOut},
    summary="Open Know-How manifest of the latest release",
    openapi_extra={
        "responses": {
            200: {
                "description": "OKH v2 manifest (TOML) of the latest released version",
                "content": {"application/toml": {"schema": {"type": "string"}}},
            }
        }
    },
)
@access("public", object="design_id", model="designs.Design")
def okh_manifest(request: HttpRequest, design_id: int) -> HttpResponse:
    """404 ``no_released_version`` while the design has no released version."""
    design = get_visible_or_404(Design, request_actor(request), pk=design_id)
    version = services.latest_released(design)
    if version is None:
        raise ApiError(
            404,
            "no_released_version",
            _("%(name)s has no released version yet: there is no manifest to publish.")
            % {"name": design.name},
        )
    response = HttpResponse(
        okh.export_okh_toml(version), content_type="application/toml; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{design.slug}-okh.toml"'
    return response


# ---------------------------------------------------------------- build reports


@router.get("/designs/{design_id}/builds", response=Page[BuildOut], summary="Who built a design")
@access("public", object="design_id", model="designs.Design")
def list_builds(request: HttpRequest, design_id: int, page: Query[PageParams]) -> dict[str, Any]:
    """Build reports of the design ("made at site X, on date, with photos and deviations")."""
    actor = request_actor(request)
    design = get_visible_or_404(Design, actor, pk=design_id)
    reports = selectors.reproductions(actor, design)
    items = reports[page.offset : page.offset + page.limit]
    return {"items": [build_out(r) for r in items], "count": len(reports)}


@router.post(
    "/designs/{design_id}/builds",
    response={201: BuildOut, 413: ErrorOut, 422: ErrorOut, 404: ErrorOut},
    summary="Report a build of a design",
)
@access("member", perm="build.report", object="design_id", model="designs.Design", on_visible=True)
@decorate_view(_buffered)
@idempotent
def report_build(
    request: HttpRequest,
    design_id: int,
    payload: Form[BuildForm],
    photos: File[list[UploadedFile] | None] = None,
) -> tuple[int, Any]:
    """Multipart form: the report's fields, and optional ``photos`` (PNG, JPEG or WebP).
    The version defaults to the latest released one; the site is one of your organisation's."""
    actor = require_authenticated(request)
    design = get_visible_or_404(Design, actor, pk=design_id)
    org = _acting_organization(actor, payload.organization)
    require(actor, "build.report", org.pk)
    if payload.version_id is not None:
        version = _visible_version_ref(actor, payload.version_id, "version_id")
        if version is None or version.design_id != design.pk:
            raise ValidationError({"version_id": _("That version belongs to another design.")})
    else:
        version = services.latest_released(design)
        if version is None:
            raise ApiError(422, "no_released_version", _("Report builds of released versions."))
    site = None
    if payload.site:
        site = Site.objects.visible_to(actor).filter(slug=payload.site).first()
        if site is None:
            raise ValidationError({"site": _("Choose one of your organisation's sites.")})
    report = services.record_build(
        actor=actor,
        organization=org,
        version=version,
        built_on=payload.built_on,
        site=site,
        quantity=payload.quantity,
        deviations=payload.deviations,
        notes=payload.notes,
        photos=[(p, p.name or "photo") for p in photos or []],
    )
    report = get_visible_or_404(BuildReport, actor, pk=report.pk)
    return 201, BuildOut.model_validate(build_out(report))


@router.get("/builds/{report_id}", response=BuildOut, summary="One build report")
@access("public", object="report_id", model="designs.BuildReport")
def get_build(request: HttpRequest, report_id: int) -> dict[str, Any]:
    actor = request_actor(request)
    report = get_visible_or_404(BuildReport, actor, pk=report_id)
    return build_out(report)


@router.get(
    "/builds/{report_id}/photo",
    response={200: None, 404: ErrorOut},
    summary="A photo of a build report",
    url_name="build_photo",
)
@access("public", object="report_id", model="designs.BuildReport")
def build_photo(request: HttpRequest, report_id: int, sha256: str = "") -> HttpResponseBase:
    """The photo named by ``sha256`` (default: the first one)."""
    report = get_visible_or_404(BuildReport, request_actor(request), pk=report_id)
    photos = list(report.photos.all())
    photo = next((p for p in photos if p.sha256 == sha256), None) if sha256 else None
    photo = photo or (photos[0] if photos and not sha256 else None)
    if photo is None:
        raise ApiError(404, "not_found", _("Not found."))
    extension = {"png": "png", "jpeg": "jpg", "webp": "webp"}.get(photo.kind, photo.kind)
    return blob_response(photo, f"build-{report.pk}-{photo.sha256[:8]}.{extension}", inline=True)


# ---------------------------------------------------------------- versions


def _visible_version(actor: Actor, version_id: int) -> DesignVersion:
    version = get_visible_or_404(DesignVersion, actor, pk=version_id)
    return version


def _editable(actor: Actor, version_id: int, perm: str = "design.edit") -> DesignVersion:
    return get_for_action_or_404(DesignVersion, actor, perm, pk=version_id)


@router.get("/versions/{version_id}", response=VersionOut, summary="One version, in full")
@access("public", object="version_id", model="designs.DesignVersion")
def get_version(request: HttpRequest, version_id: int) -> dict[str, Any]:
    """Version fields, the files you may see, BOM lines, operations with their SOP steps and
    checks, the final inspection's checks and the DFM answers."""
    actor = request_actor(request)
    return version_out(actor, _visible_version(actor, version_id))


@router.patch(
    "/versions/{version_id}", response={200: VersionOut, **ERRORS}, summary="Change a draft"
)
@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
def update_version(request: HttpRequest, version_id: int, payload: VersionPatch) -> dict[str, Any]:
    """Only a draft changes: a released or obsolete version answers 409 ``version_released``."""
    actor = require_authenticated(request)
    version = _editable(actor, version_id)
    values = payload.model_dump(exclude_unset=True)
    services.update_version(actor=actor, version=version, values=values)
    return version_out(actor, version)


@router.post(
    "/versions/{version_id}/release",
    response={200: VersionOut, **ERRORS},
    summary="Release a draft (freeze it)",
)
@access("member", perm="design.release", object="version_id", model="designs.DesignVersion")
def release_version(request: HttpRequest, version_id: int, payload: ReleaseIn) -> dict[str, Any]:
    actor = require_authenticated(request)
    version = _editable(actor, version_id, "design.release")
    services.release_version(actor=actor, version=version, number=payload.number)
    return version_out(actor, version)


@router.post(
    "/versions/{version_id}/obsolete",
    response={200: VersionOut, **ERRORS},
    summary="Retire a released version",
)
@access("member", perm="design.release", object="version_id", model="designs.DesignVersion")
def obsolete_version(request: HttpRequest, version_id: int) -> dict[str, Any]:
    actor = require_authenticated(request)
    version = _editable(actor, version_id, "design.release")
    services.make_obsolete(actor=actor, version=version)
    return version_out(actor, version)


@router.get(
    "/versions/{version_id}/compare",
    response={200: CompareOut, 404: ErrorOut},
    summary="What changed",
)
@access("public", object="version_id", model="designs.DesignVersion")
def compare_versions(
    request: HttpRequest, version_id: int, filters: Query[CompareFilters]
) -> dict[str, Any]:
    """Changes of the BOM, routing, quality checks, files and texts since the previous version
    (or since the version ``with``). ``old`` is empty when there is nothing to compare with."""
    actor = request_actor(request)
    new = _visible_version(actor, version_id)
    old = None
    if filters.with_ is not None:
        old = get_visible_or_404(DesignVersion, actor, pk=filters.with_)
    elif new.previous_id is not None:
        old = DesignVersion.objects.visible_to(actor).filter(pk=new.previous_id).first()
    if old is None:
        empty: list[Any] = []
        return {
            "old": None,
            "new": version_ref(new),
            "is_empty": True,
            "bom": empty,
            "routing": empty,
            "quality": empty,
            "files": empty,
            "texts": empty,
        }
    diff = selectors.compare_versions(actor, old, new)

    def changes(rows: list[selectors.Change]) -> list[dict[str, Any]]:
        return [{"label": c.label, "status": c.status, "fields": c.fields} for c in rows]

    return {
        "old": version_ref(old),
        "new": version_ref(new),
        "is_empty": diff.is_empty,
        "bom": changes(diff.bom),
        "routing": changes(diff.routing),
        "quality": changes(diff.quality),
        "files": changes(diff.files),
        "texts": diff.texts,
    }


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form: ``explode_bom`` normalises whole
    numbers, which turns 560 into 5.6E+2."""
    integral = value == value.to_integral_value()
    return value.quantize(Decimal(1)) if integral else value.normalize()


@router.get(
    "/versions/{version_id}/bom/explosion",
    response=ExplosionOut,
    summary="Total needs to build N units",
)
@access("public", object="version_id", model="designs.DesignVersion")
def bom_explosion(
    request: HttpRequest, version_id: int, filters: Query[ExplosionFilters]
) -> dict[str, Any]:
    """Every material and bought part, summed through the sub-assemblies, with its unit (UN/ECE
    code) and kind; and the sub-assemblies with how many of each are needed."""
    actor = request_actor(request)
    version = _visible_version(actor, version_id)
    explosion = selectors.explode_bom(version, filters.quantity, actor=actor)
    return {
        "quantity": explosion.quantity,
        "levels": explosion.levels,
        "needs": [
            {
                "item_id": n.item_id,
                "name": n.name,
                "kind": n.kind,
                "quantity": _plain(n.quantity),
                "unit": n.unit,
                "unit_symbol": n.unit_symbol,
                "specification": n.specification,
                "material": n.material,
                "supplier": n.supplier,
                "supplier_reference": n.supplier_reference,
                "used_in": sorted(n.used_in),
            }
            for n in explosion.needs
        ],
        "components": [
            {"version": version_ref(cv), "quantity": _plain(qty)}
            for cv, qty in explosion.components
        ],
    }


@router.get(
    "/versions/{version_id}/bom.csv",
    response={200: None, 404: ErrorOut},
    summary="The BOM as CSV",
    openapi_extra={
        "responses": {
            200: {
                "description": "One line per BOM line; cells that a spreadsheet would run as a "
                "formula are neutralised",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
@access("public", object="version_id", model="designs.DesignVersion")
def bom_csv(request: HttpRequest, version_id: int) -> HttpResponse:
    """The same columns as the package's ``bom.csv`` (codes, dot decimals)."""
    version = _visible_version(request_actor(request), version_id)
    response = HttpResponse(package.bom_csv(version), content_type="text/csv; charset=utf-8")
    filename = f"{version.design.slug}-{version.number}-bom.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/versions/{version_id}/completeness",
    response=CompletenessOut,
    summary="How complete the documentation is",
)
@access("public", object="version_id", model="designs.DesignVersion")
def completeness(request: HttpRequest, version_id: int) -> dict[str, Any]:
    """The nine elements of a complete technical file (guide, Annex B.1), each with its score
    and what is missing. Files the owner keeps internal count: they exist, only their
    download is restricted."""
    actor = request_actor(request)
    version = _visible_version(actor, version_id)
    result = selectors.completeness(version)
    return {
        "score": result.score,
        "complete_count": result.complete_count,
        "elements": [
            {
                "code": e.code,
                "title": str(e.title),
                "score": e.score,
                "complete": e.complete,
                "not_applicable": e.not_applicable,
                "missing": [] if e.not_applicable else e.missing,
                "checks": [{"label": str(c.label), "ok": c.ok} for c in e.checks],
            }
            for e in result.elements
        ],
    }


def _dfm(version: DesignVersion) -> dict[str, Any]:
    sections, answered, total = selectors.dfm_checklist(version)
    return {
        "answered": answered,
        "total": total,
        "sections": [
            {
                "code": s.code,
                "title": str(s.title),
                "rows": [
                    {
                        "code": r.code,
                        "text": str(r.text),
                        "answer": r.answer,
                        "answer_label": r.answer_label,
                        "comment": r.comment,
                    }
                    for r in s.rows
                ],
            }
            for s in sections
        ],
    }


@router.get("/versions/{version_id}/dfm", response=DfmOut, summary="DFM checklist")
@access("public", object="version_id", model="designs.DesignVersion")
def get_dfm(request: HttpRequest, version_id: int) -> dict[str, Any]:
    """The design-for-manufacturing checklist for small series (guide, Annex A.1)."""
    return _dfm(_visible_version(request_actor(request), version_id))


@router.put(
    "/versions/{version_id}/dfm",
    response={200: DfmOut, **ERRORS},
    summary="Answer the DFM checklist",
)
@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
def answer_dfm(request: HttpRequest, version_id: int, payload: DfmIn) -> dict[str, Any]:
    """Answers given here are recorded; questions not listed keep their answer."""
    actor = require_authenticated(request)
    version = _editable(actor, version_id)
    answers = {
        a.question: services.DfmInput(answer=a.answer, comment=a.comment) for a in payload.answers
    }
    services.answer_dfm(actor=actor, version=version, answers=answers)
    return _dfm(version)


@router.get(
    "/versions/{version_id}/manufacturability",
    response=list[OperationCapabilityOut],
    summary="Who in the network can make each operation",
)
@access("public", object="version_id", model="designs.DesignVersion")
def manufacturability(request: HttpRequest, version_id: int) -> list[dict[str, Any]]:
    """For each operation: what it needs, whether the network (as you may see it) can do it,
    and the candidate sites with their machines and the reasons they match."""
    actor = request_actor(request)
    version = _visible_version(actor, version_id)
    result = []
    for cap in selectors.manufacturability(actor, version):
        result.append(
            {
                "operation_id": cap.operation.pk,
                "name": cap.operation.name,
                "requirements": cap.requirements,
                "checked": cap.checked,
                "possible": cap.possible,
                "sites": [
                    {
                        "site": {"slug": m.site.slug, "name": m.site.name},
                        "organization": org_ref(m.site.organization),
                        "score": round(m.score, 3),
                        "reasons": [str(r) for r in m.reasons],
                        "machines": [
                            {
                                "id": mc.pk,
                                "name": mc.name,
                                "make": mc.make,
                                "model": mc.model,
                                "envelope_x_mm": mc.envelope_x_mm,
                                "envelope_y_mm": mc.envelope_y_mm,
                                "envelope_z_mm": mc.envelope_z_mm,
                                "tolerance_class": mc.tolerance_class,
                            }
                            for mc in m.machines
                        ],
                    }
                    for m in cap.matches
                ],
            }
        )
    return result


@router.get(
    "/versions/{version_id}/package.zip",
    response={200: None, 404: ErrorOut},
    summary="Everything needed to build it, as one ZIP",
    openapi_extra={
        "responses": {
            200: {
                "description": "The version's files you may see, BOM, routing and manifest",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
@access("public", object="version_id", model="designs.DesignVersion")
def package_zip(request: HttpRequest, version_id: int) -> HttpResponse:
    """README, OKH manifest, BOM, instructions PDF and the files you may see."""
    actor = request_actor(request)
    version = _visible_version(actor, version_id)
    response = HttpResponse(package.build_package(actor, version), content_type="application/zip")
    response["Content-Disposition"] = content_disposition(
        "attachment", package.package_filename(version)
    )
    return response


# ---------------------------------------------------------------- items and BOM


def _item_values(actor: Actor, data: ItemIn) -> dict[str, Any]:
    values = data.model_dump(exclude={"material", "design_id", "organization"})
    values["material"] = _term(Material, data.material, "material")
    values["design"] = None
    if data.design_id is not None:
        design = Design.objects.visible_to(actor).filter(pk=data.design_id).first()
        if design is None:
            raise ValidationError({"design_id": _("No such design.")})
        values["design"] = design
    return values


@router.get("/items", response=Page[ItemOut], summary="Your organisation's items")
@access("member")
def list_items(
    request: HttpRequest,
    page: Query[PageParams],
    organization: str = "",
    kind: str = "",
    q: str = "",
) -> dict[str, Any]:
    """Materials, bought parts and sub-designs that your organisation's BOMs use."""
    actor = require_authenticated(request)
    org = _acting_organization(actor, organization)
    items = Item.objects.owned_by(org).select_related("material").order_by("name", "pk")
    if kind:
        items = items.filter(kind=kind)
    for word in q.split():
        items = items.filter(name__icontains=word)
    rows, count = page_of(items, page)
    return {"items": [item_out(i) for i in rows], "count": count}


@router.post("/items", response={201: ItemOut, 422: ErrorOut}, summary="Add an item")
@access("member", perm="design.edit")
@idempotent
def create_item(request: HttpRequest, payload: ItemCreateIn) -> tuple[int, Any]:
    actor = require_authenticated(request)
    org = _acting_organization(actor, payload.organization)
    item = services.create_item(actor=actor, organization=org, values=_item_values(actor, payload))
    return 201, ItemOut.model_validate(item_out(item))


def _line(line_id: int) -> BomLine:
    return (
        BomLine.objects.unscoped("reload after own write")
        .select_related("item__material", "component_version__design")
        .get(pk=line_id)
    )


def _line_item(actor: Actor, version: DesignVersion, payload: BomLineIn) -> Item:
    if (payload.item_id is None) == (payload.item is None):
        raise ValidationError({"item": _("Give either an existing item or a new one.")})
    org = version.design.organization
    if payload.item is None:
        item = Item.objects.owned_by(org).filter(pk=payload.item_id).first()
        if item is None:
            raise ValidationError({"item_id": _("No such item in the design's organisation.")})
        return item
    values = _item_values(actor, payload.item)
    if values["design"] is not None and payload.item.kind == ItemKind.DESIGN:
        return services.item_for_design(actor=actor, organization=org, design=values["design"])
    return services.create_item(actor=actor, organization=org, values=values)


@router.post(
    "/versions/{version_id}/bom", response={201: BomLineOut, **ERRORS}, summary="Add a BOM line"
)
@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@idempotent
def add_bom_line(request: HttpRequest, version_id: int, payload: BomLineIn) -> tuple[int, Any]:
    """An existing item (``item_id``) or a new one (``item``); for a sub-design, the released
    version it is built with (default: its latest). A BOM that would contain itself answers
    422 ``bom_cycle`` and nothing is written."""
    actor = require_authenticated(request)
    version = _editable(actor, version_id)
    component = _visible_version_ref(actor, payload.component_version_id, "component_version_id")
    with transaction.atomic():  # a new item is not kept when the line is refused
        item = _line_item(actor, version, payload)
        line = services.add_bom_line(
            actor=actor,
            version=version,
            item=item,
            quantity=payload.quantity,
            unit=payload.unit,
            component_version=component,
            reference=payload.reference,
            notes=payload.notes,
        )
    return 201, BomLineOut.model_validate(bom_line_out(_line(line.pk)))


@router.patch(
    "/bom-lines/{line_id}", response={200: BomLineOut, **ERRORS}, summary="Change a BOM line"
)
@access("member", perm="design.edit", object="line_id", model="designs.BomLine")
def update_bom_line(request: HttpRequest, line_id: int, payload: BomLinePatch) -> dict[str, Any]:
    actor = require_authenticated(request)
    line = get_for_action_or_404(BomLine, actor, "design.edit", pk=line_id)
    values = payload.model_dump(exclude_unset=True, exclude={"component_version_id"})
    if "component_version_id" in payload.model_fields_set:
        values["component_version"] = _visible_version_ref(
            actor, payload.component_version_id, "component_version_id"
        )
    services.update_bom_line(actor=actor, line=line, values=values)
    return bom_line_out(_line(line.pk))


@router.delete("/bom-lines/{line_id}", response={204: None, **ERRORS}, summary="Remove a BOM line")
@access("member", perm="design.edit", object="line_id", model="designs.BomLine")
def delete_bom_line(request: HttpRequest, line_id: int) -> Status[None]:
    actor = require_authenticated(request)
    line = get_for_action_or_404(BomLine, actor, "design.edit", pk=line_id)
    services.remove_bom_line(actor=actor, line=line)
    return Status(204, None)


# ---------------------------------------------------------------- routing, SOP steps, QC


def _operation_values(data: dict[str, Any]) -> dict[str, Any]:
    if "process" in data:
        data["process"] = _term(Process, data["process"], "process")
    if "material" in data:
        data["material"] = _term(Material, data["material"], "material")
    return data


def _operation(pk: int) -> Operation:
    return (
        Operation.objects.unscoped("reload after own write")
        .select_related("process", "material")
        .get(pk=pk)
    )


@router.post(
    "/versions/{version_id}/operations",
    response={201: OperationOut, **ERRORS},
    summary="Add an operation to the routing",
)
@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@idempotent
def add_operation(request: HttpRequest, version_id: int, payload: OperationIn) -> tuple[int, Any]:
    """Processes and materials are taxonomy codes (e.g. ``laser-cutting``, ``plywood``)."""
    actor = require_authenticated(request)
    version = _editable(actor, version_id)
    op = services.add_operation(
        actor=actor, version=version, values=_operation_values(payload.model_dump())
    )
    return 201, OperationOut.model_validate(operation_out(_operation(op.pk)))


@router.patch(
    "/operations/{operation_id}",
    response={200: OperationOut, **ERRORS},
    summary="Change an operation",
)
@access("member", perm="design.edit", object="operation_id", model="designs.Operation")
def update_operation(
    request: HttpRequest, operation_id: int, payload: OperationPatch
) -> dict[str, Any]:
    actor = require_authenticated(request)
    op = get_for_action_or_404(Operation, actor, "design.edit", pk=operation_id)
    values = _operation_values(payload.model_dump(exclude_unset=True))
    services.update_operation(actor=actor, operation=op, values=values)
    return operation_out(_operation(op.pk))


@router.delete(
    "/operations/{operation_id}", response={204: None, **ERRORS}, summary="Remove an operation"
)
@access("member", perm="design.edit", object="operation_id", model="designs.Operation")
def delete_operation(request: HttpRequest, operation_id: int) -> Status[None]:
    actor = require_authenticated(request)
    op = get_for_action_or_404(Operation, actor, "design.edit", pk=operation_id)
    services.remove_operation(actor=actor, operation=op)
    return Status(204, None)


@router.put(
    "/versions/{version_id}/operations/order",
    response={200: list[OperationOut], **ERRORS},
    summary="Reorder the routing",
)
@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
def reorder_operations(
    request: HttpRequest, version_id: int, payload: OrderIn
) -> list[dict[str, Any]]:
    """``ids`` lists every operation of the version exactly once, in the new order."""
    actor = require_authenticated(request)
    version = _editable(actor, version_id)
    ops = services.reorder_operations(actor=actor, version=version, ordered_ids=payload.ids)
    return [operation_out(_operation(op.pk)) for op in ops]


def _step_image(step_version: DesignVersion, file_id: int | None) -> DesignFile | None:
    if file_id is None:
        return None
    image = (
        DesignFile.objects.owned_by(step_version.design.organization_id)
        .select_related("blob")
        .filter(pk=file_id)
        .first()
    )
    if image is None:
        raise ValidationError({"image_file_id": _("No such file.")})
    return image


@router.post(
    "/operations/{operation_id}/steps",
    response={201: SopStepOut, **ERRORS},
    summary="Add an SOP step",
)
@access("member", perm="design.edit", object="operation_id", model="designs.Operation")
@idempotent
def add_step(request: HttpRequest, operation_id: int, payload: SopStepIn) -> tuple[int, Any]:
    """``text`` is HTML (sanitised); ``image_file_id`` an image attached to the same version."""
    actor = require_authenticated(request)
    op = get_for_action_or_404(Operation, actor, "design.edit", pk=operation_id)
    step = services.add_step(
        actor=actor,
        operation=op,
        text=payload.text,
        image=_step_image(op.version, payload.image_file_id),
        caution=payload.caution,
    )
    return 201, SopStepOut.model_validate(step_out(step))


@router.patch(
    "/sop-steps/{step_id}", response={200: SopStepOut, **ERRORS}, summary="Change an SOP step"
)
@access("member", perm="design.edit", object="step_id", model="designs.SopStep")
def update_step(request: HttpRequest, step_id: int, payload: SopStepPatch) -> dict[str, Any]:
    actor = require_authenticated(request)
    step = get_for_action_or_404(SopStep, actor, "design.edit", pk=step_id)
    values = payload.model_dump(exclude_unset=True, exclude={"image_file_id"})
    if "image_file_id" in payload.model_fields_set:
        values["image"] = _step_image(step.operation.version, payload.image_file_id)
    services.update_step(actor=actor, step=step, values=values)
    return step_out(step)


@router.delete("/sop-steps/{step_id}", response={204: None, **ERRORS}, summary="Remove an SOP step")
@access("member", perm="design.edit", object="step_id", model="designs.SopStep")
def delete_step(request: HttpRequest, step_id: int) -> Status[None]:
    actor = require_authenticated(request)
    step = get_for_action_or_404(SopStep, actor, "design.edit", pk=step_id)
    services.remove_step(actor=actor, step=step)
    return Status(204, None)


def _criterion_operation(version: DesignVersion, operation_id: int | None) -> Operation | None:
    if operation_id is None:
        return None
    op = Operation.objects.owned_by(version.design.organization_id).filter(pk=operation_id).first()
    if op is None:
        raise ValidationError({"operation_id": _("No such operation.")})
    return op


@router.post(
    "/versions/{version_id}/qc",
    response={201: QcCriterionOut, **ERRORS},
    summary="Add a quality check",
)
@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
@idempotent
def add_criterion(request: HttpRequest, version_id: int, payload: QcCriterionIn) -> tuple[int, Any]:
    """A check during an operation (``operation_id``) or of the final inspection (empty), with
    a nominal value and tolerances, or an acceptance criterion for visual checks."""
    actor = require_authenticated(request)
    version = _editable(actor, version_id)
    values = payload.model_dump(exclude={"operation_id"})
    values["operation"] = _criterion_operation(version, payload.operation_id)
    criterion = services.add_criterion(actor=actor, version=version, values=values)
    return 201, QcCriterionOut.model_validate(criterion_out(criterion))


@router.patch(
    "/qc-criteria/{criterion_id}",
    response={200: QcCriterionOut, **ERRORS},
    summary="Change a check",
)
@access("member", perm="design.edit", object="criterion_id", model="designs.QcCriterion")
def update_criterion(
    request: HttpRequest, criterion_id: int, payload: QcCriterionPatch
) -> dict[str, Any]:
    actor = require_authenticated(request)
    criterion = get_for_action_or_404(QcCriterion, actor, "design.edit", pk=criterion_id)
    values = payload.model_dump(exclude_unset=True, exclude={"operation_id"})
    if "operation_id" in payload.model_fields_set:
        values["operation"] = _criterion_operation(criterion.version, payload.operation_id)
    services.update_criterion(actor=actor, criterion=criterion, values=values)
    return criterion_out(criterion)


@router.delete(
    "/qc-criteria/{criterion_id}", response={204: None, **ERRORS}, summary="Remove a check"
)
@access("member", perm="design.edit", object="criterion_id", model="designs.QcCriterion")
def delete_criterion(request: HttpRequest, criterion_id: int) -> Status[None]:
    actor = require_authenticated(request)
    criterion = get_for_action_or_404(QcCriterion, actor, "design.edit", pk=criterion_id)
    services.remove_criterion(actor=actor, criterion=criterion)
    return Status(204, None)


# ---------------------------------------------------------------- files


def _file(pk: int) -> DesignFile:
    return DesignFile.objects.unscoped("reload after own write").select_related("blob").get(pk=pk)


@router.post(
    "/versions/{version_id}/files",
    response={201: DesignFileOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Attach a file to a draft",
)
@access("member", perm="design.edit", object="version_id", model="designs.DesignVersion")
def upload_file(
    request: HttpRequest,
    version_id: int,
    file: File[UploadedFile],
    role: Form[str],
    description: Form[str] = "",
    is_internal: Form[bool] = False,
) -> Status[dict[str, Any]]:
    """Multipart: ``file``, ``role`` (cad_native, cad_exchange, drawing, image, instructions,
    archive, other), ``description``, ``is_internal``. The content is checked: a name that
    does not match the content answers 422 ``type_mismatch``, an unsafe archive
    ``archive_unsafe``, a file over the limit 413 ``file_too_large``. Not idempotent by key: a
    retried upload is refused as ``duplicate_file`` (one file name per version)."""
    actor = require_authenticated(request)
    version = _editable(actor, version_id)
    design_file = services.add_file(
        actor=actor,
        version=version,
        upload=file,
        filename=file.name or "file",
        role=role,
        description=description,
        is_internal=is_internal,
    )
    return Status(201, file_out(_file(design_file.pk)))


@router.get("/design-files/{file_id}", response=DesignFileOut, summary="A file's details")
@access("public", object="file_id", model="designs.DesignFile")
def get_file(request: HttpRequest, file_id: int) -> dict[str, Any]:
    design_file = get_visible_or_404(DesignFile, request_actor(request), pk=file_id)
    return file_out(design_file)


@router.get(
    "/design-files/{file_id}/content",
    response={200: None, 404: ErrorOut},
    summary="A file's content",
    url_name="design_file_content",
)
@access("public", object="file_id", model="designs.DesignFile")
def file_content(request: HttpRequest, file_id: int, inline: bool = False) -> HttpResponseBase:
    """The bytes, as a download (``inline=true`` shows images, PDF and SVG in the browser).
    Internal files are served to their organisation only."""
    design_file = get_visible_or_404(DesignFile, request_actor(request), pk=file_id)
    return blob_response(design_file.blob, design_file.filename, inline=inline)


@router.patch(
    "/design-files/{file_id}",
    response={200: DesignFileOut, **ERRORS},
    summary="Change a file's details",
)
@access("member", perm="design.edit", object="file_id", model="designs.DesignFile")
def update_file(request: HttpRequest, file_id: int, payload: DesignFilePatch) -> dict[str, Any]:
    actor = require_authenticated(request)
    design_file = get_for_action_or_404(DesignFile, actor, "design.edit", pk=file_id)
    services.update_file(
        actor=actor, design_file=design_file, values=payload.model_dump(exclude_unset=True)
    )
    return file_out(_file(design_file.pk))


@router.delete(
    "/design-files/{file_id}", response={204: None, **ERRORS}, summary="Remove a file from a draft"
)
@access("member", perm="design.edit", object="file_id", model="designs.DesignFile")
def delete_file(request: HttpRequest, file_id: int) -> Status[None]:
    actor = require_authenticated(request)
    design_file = get_for_action_or_404(DesignFile, actor, "design.edit", pk=file_id)
    services.remove_file(actor=actor, design_file=design_file)
    return Status(204, None)
