"""Reading pages of the designs library: the library, a design and its versions, the comparison
of two versions, the coordinator's review, the BOM explosion, and the files.

Every read goes through the selectors with the acting person, so what a visitor, a member, or a
workshop the design is shared with sees is decided in one place (``visible_to``). Files are
served by views that check the same visibility: nothing is served from MEDIA_URL.
Editing lives in ``edit_views.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import linebreaks
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, has_perm
from reproduce.core.sanitize import clean_html, plain_text
from reproduce.designs import selectors
from reproduce.designs.models import (
    UNIT_SYMBOLS,
    BuildReport,
    Design,
    DesignFile,
    DesignKind,
    DesignVersion,
    QcCriterion,
    VersionState,
    Visibility,
)
from reproduce.designs.package import build_package, package_filename
from reproduce.files.http import blob_response
from reproduce.files.models import Blob, Kind
from reproduce.network.models import Site

LIBRARY_PAGE_SIZE = 24
MAX_UNITS = 10_000


def _wants_fragment(request: HttpRequest) -> bool:
    # A history restore (back button after hx-push-url) needs the whole page, not the fragment.
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


def _number(value: Decimal | None) -> Decimal | None:
    """A quantity without trailing zeros ("2", "0.25"), never in exponent form ("1E+2")."""
    if value is None:
        return None
    if value == value.to_integral():
        return value.quantize(Decimal(1))
    return value.normalize()


def _rich(text: str) -> SafeString:
    """Stored rich text, cleaned again on output; plain text keeps its line breaks."""
    if not text:
        return mark_safe("")
    if "<" not in text:
        text = linebreaks(text, autoescape=True)
    return mark_safe(clean_html(text))  # nh3 output is safe HTML


# ---------------------------------------------------------------- library


class LibraryFilterForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *DesignKind.choices]
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    reproduced = forms.BooleanField(
        label=_("Only designs reproduced at least once"), required=False
    )


# The tabs above the library: machine plans are a first-class way in ("share a machine plan").
KIND_TABS = [
    ("", _("All designs")),
    (DesignKind.PRODUCT, _("Products")),
    (DesignKind.COMPONENT, _("Components")),
    (DesignKind.MACHINE, _("Machine plans")),
    (DesignKind.TOOL, _("Tools and jigs")),
]
# Short words for the owner's badge (the choices' labels explain, and are too long for it).
VISIBILITY_BADGES: dict[str, Promise] = {
    Visibility.PUBLIC: _("Public"),
    Visibility.NETWORK: _("Network members"),
    Visibility.NAMED: _("Named organisations"),
    Visibility.PRIVATE: _("Private"),
}


@dataclass
class Card:
    design: Design
    cover: DesignFile | None = None
    cover_url: str = ""
    original_url: str = ""
    visibility_badge: str = ""  # for the owner only


def _cover_url(design_file: DesignFile) -> str:
    if design_file.blob.thumbnail_id:
        return reverse("designs:file_thumbnail", args=[design_file.pk])
    return reverse("designs:file", args=[design_file.pk])


def _library_cards(actor: Actor, designs: list[Design]) -> list[Card]:
    """Cards with the cover of the version shown first, in a fixed number of queries."""
    versions = (
        DesignVersion.objects.visible_to(actor)
        .filter(design__in=[d.pk for d in designs])
        .only("pk", "design_id", "state", "released_at", "created_at")
        .order_by("-created_at", "-pk")
    )
    shown: dict[int, DesignVersion] = {}
    for v in versions:
        current = shown.get(v.design_id)
        released = v.state == VersionState.RELEASED
        if current is None or (
            released
            and (
                current.state != VersionState.RELEASED
                or (v.released_at, v.pk) > (current.released_at, current.pk)
            )
        ):
            shown[v.design_id] = v
    covers = selectors.cover_images(shown.values(), actor)
    originals = {d.forked_from_id for d in designs if d.forked_from_id}
    visible_originals = set(
        DesignVersion.objects.visible_to(actor)
        .filter(pk__in=originals)
        .values_list("pk", flat=True)
        if originals
        else ()
    )
    cards = []
    for design in designs:
        version = shown.get(design.pk)
        cover = covers.get(version.pk) if version else None
        card = Card(
            design=design,
            cover=cover,
            cover_url=_cover_url(cover) if cover else "",
        )
        if design.organization_id in actor.organization_ids:
            card.visibility_badge = str(VISIBILITY_BADGES.get(design.visibility, ""))
        if design.forked_from_id in visible_originals:
            card.original_url = reverse("designs:version", args=[design.forked_from_id])
        cards.append(card)
    return cards


def _page_query(request: HttpRequest) -> str:
    """The filters of the current address, without the page number, for the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _kind_tabs(request: HttpRequest, current: str) -> list[dict[str, Any]]:
    """Links to the same filters with another kind."""
    tabs = []
    for value, label in KIND_TABS:
        params = request.GET.copy()
        params.pop("page", None)
        params.pop("kind", None)
        if value:
            params["kind"] = value
        query = params.urlencode()
        url = reverse("designs:library") + (f"?{query}" if query else "")
        tabs.append({"label": label, "url": url, "current": value == current})
    return tabs


@access("public")
def library(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = LibraryFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    designs = selectors.library(
        actor,
        kind=filters.get("kind") or "",
        text=filters.get("q") or "",
        tag=(filters.get("tag") or "").strip(),
    ).select_related("forked_from__design")
    if filters.get("reproduced"):
        designs = designs.filter(builds__gt=0)  # type: ignore[misc]  # annotated by library()
    page = Paginator(designs, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "cards": _library_cards(actor, list(page.object_list)),
        "filtered": any(filters.values()),
        "kind_tabs": _kind_tabs(request, filters.get("kind") or ""),
        "page_query": _page_query(request),
        "can_create": _allowed_somewhere(actor, "design.edit"),
    }
    return render(request, "designs/library.html", context)


# ---------------------------------------------------------------- a design and its versions


@dataclass
class FileView:
    file: DesignFile
    url: str
    download_url: str
    thumbnail_url: str
    preview: str  # stl | image | svg | pdf | none
    alt: str


def _preview_kind(blob: Blob) -> str:
    if blob.kind == Kind.STL:
        return "stl"
    if blob.is_image:
        return "image"
    if blob.kind == Kind.SVG:
        return "svg"
    if blob.kind == Kind.PDF:
        return "pdf"
    return "none"


def _file_views(design: Design, files: list[DesignFile]) -> list[FileView]:
    views = []
    for f in files:
        url = reverse("designs:file", args=[f.pk])
        views.append(
            FileView(
                file=f,
                url=url,
                download_url=f"{url}?download=1",
                thumbnail_url=(
                    reverse("designs:file_thumbnail", args=[f.pk]) if f.blob.thumbnail_id else ""
                ),
                preview=_preview_kind(f.blob),
                alt=f"{design.name} – {f.description or f.filename}",
            )
        )
    return views


def _tolerance(c: QcCriterion) -> str:
    """ "12 ± 0,5 mm", or "12 −0,2 / +0,5 mm" when the limits are not symmetric."""
    if c.nominal is None:
        return ""
    nominal = localize(_number(c.nominal))
    minus = _number(abs(c.tolerance_minus or Decimal(0)))
    plus = _number(abs(c.tolerance_plus or Decimal(0)))
    spread = f"± {localize(plus)}" if minus == plus else f"−{localize(minus)} / +{localize(plus)}"
    return f"{nominal} {spread} {c.unit}".strip()


def _prepare_checks(criteria: list[QcCriterion]) -> list[QcCriterion]:
    for c in criteria:
        c.tolerance_text = _tolerance(c)  # type: ignore[attr-defined]
    return criteria


def _prepare_routing(content: DesignVersion, visible_file_ids: set[int]) -> list[Any]:
    """Operations with their requirements, SOP steps (image only if visible) and checks."""
    operations = list(content.operations.all())
    for op in operations:
        op.requirements = selectors.requirements_of(op, content.general_tolerance)  # type: ignore[attr-defined]
        op.setup = _number(op.setup_minutes)  # type: ignore[attr-defined]
        op.per_unit = _number(op.unit_minutes)  # type: ignore[attr-defined]
        op.checks = _prepare_checks(list(op.qc_criteria.all()))  # type: ignore[attr-defined]
        op.sop = list(op.steps.all())  # type: ignore[attr-defined]
        for step in op.sop:  # type: ignore[attr-defined]
            step.text_html = _rich(step.text)
            step.image_view = None
            if selectors.step_image_visible(step, visible_file_ids) and step.image is not None:
                image = step.image
                step.image_view = {
                    "url": reverse("designs:file", args=[image.pk]),
                    "src": _cover_url(image),
                    "alt": image.description or image.filename,
                }
    return operations


def _prepare_bom(actor: Actor, content: DesignVersion) -> list[Any]:
    lines = list(content.bom_lines.all())
    component_ids = {line.component_version_id for line in lines if line.component_version_id}
    visible = set(
        DesignVersion.objects.visible_to(actor)
        .filter(pk__in=component_ids)
        .values_list("pk", flat=True)
        if component_ids
        else ()
    )
    for line in lines:
        line.quantity_text = _number(line.quantity)  # type: ignore[attr-defined]
        line.unit_symbol = UNIT_SYMBOLS.get(line.unit, line.unit)  # type: ignore[attr-defined]
        line.component_url = (  # type: ignore[attr-defined]
            reverse("designs:version", args=[line.component_version_id])
            if line.component_version_id in visible
            else ""
        )
    return lines


@dataclass
class Reproductions:
    reports: list[BuildReport] = field(default_factory=list)
    places: int = 0
    sites: list[Site] = field(default_factory=list)  # the places the actor may open


def _reproductions(actor: Actor, design: Design) -> Reproductions:
    reports = selectors.reproductions(actor, design)
    sites = selectors.reproduction_sites(reports)
    visible = set(
        Site.objects.visible_to(actor)
        .filter(pk__in=[s.pk for s in sites])
        .values_list("pk", flat=True)
        if sites
        else ()
    )
    for report in reports:
        report.site_visible = report.site_id in visible  # type: ignore[attr-defined]
        report.deviations_html = _rich(report.deviations)  # type: ignore[attr-defined]
        report.notes_html = _rich(report.notes)  # type: ignore[attr-defined]
        # Photos are served by the API route, which checks the report's visibility.
        photo_url = reverse("api:build_photo", kwargs={"report_id": report.pk})
        report.photo_urls = [  # type: ignore[attr-defined]
            f"{photo_url}?sha256={blob.sha256}" for blob in report.photos.all()
        ]
    return Reproductions(
        reports=reports, places=len(sites), sites=[s for s in sites if s.pk in visible]
    )


def _history(versions: list[DesignVersion]) -> list[DesignVersion]:
    ids = {v.pk for v in versions}
    for v in versions:
        v.change_note_html = _rich(v.change_note)  # type: ignore[attr-defined]
        v.compare_url = (  # type: ignore[attr-defined]
            reverse("designs:compare", args=[v.pk]) if v.previous_id in ids else ""
        )
    return versions


def _allowed_somewhere(actor: Actor, perm: str) -> bool:
    """Whether the actor holds ``perm`` in one of their organisations (pages acting for one)."""
    return any(has_perm(actor, perm, org_id) for org_id in actor.organization_ids)


def _permissions(actor: Actor, design: Design, version: DesignVersion | None) -> dict[str, bool]:
    published = version is not None and version.state != VersionState.DRAFT
    is_owner = design.organization_id in actor.organization_ids
    can_edit = has_perm(actor, "design.edit", design.organization_id)
    return {
        "is_owner": is_owner,
        "can_edit": can_edit,
        "can_release": has_perm(actor, "design.release", design.organization_id),
        "editing": can_edit and version is not None and version.is_editable,
        "can_fork": published
        and (design.is_open or is_owner)
        and _allowed_somewhere(actor, "design.edit"),
        "can_report_build": published and _allowed_somewhere(actor, "build.report"),
    }


def _version_texts(version: DesignVersion) -> dict[str, SafeString]:
    return {
        name: _rich(getattr(version, name))
        for name in (
            "function",
            "material_notes",
            "manufacturing_notes",
            "finishing_notes",
            "packaging_notes",
            "change_note",
        )
    }


def _design_context(actor: Actor, design: Design, version: DesignVersion | None) -> dict[str, Any]:
    versions = selectors.visible_versions(actor, design)
    context: dict[str, Any] = {
        "design": design,
        "version": None,
        "versions": versions,
        "draft": next((v for v in versions if v.state == VersionState.DRAFT), None),
        "description_html": _rich(design.description),
        "history": _history(versions),
        "reproductions": _reproductions(actor, design),
        "forks": list(selectors.forks_of(actor, design)),
        "used_in": list(selectors.designs_using(actor, design).select_related("organization")),
        "original_url": "",
        "visibility_badge": (
            str(VISIBILITY_BADGES.get(design.visibility, ""))
            if design.organization_id in actor.organization_ids
            else ""
        ),
        # The manifest describes the latest release: offered once there is one.
        "okh_url": (
            reverse("api:okh_manifest", kwargs={"design_id": design.pk})
            if any(v.state == VersionState.RELEASED for v in versions)
            else ""
        ),
        **_permissions(actor, design, version),
    }
    if design.forked_from_id and (
        DesignVersion.objects.visible_to(actor).filter(pk=design.forked_from_id).exists()
    ):
        context["original_url"] = reverse("designs:version", args=[design.forked_from_id])
    if version is None:
        return context
    content = selectors.version_content(actor, version)
    visible_files = list(content.visible_files)  # type: ignore[attr-defined]
    files = _file_views(content.design, visible_files)
    context.update(
        version=content,
        design=content.design,
        files=files,
        has_3d=any(f.preview == "stl" for f in files),
        bom_lines=_prepare_bom(actor, content),
        operations=_prepare_routing(content, {f.pk for f in visible_files}),
        final_criteria=_prepare_checks(list(content.final_criteria)),  # type: ignore[attr-defined]
        texts=_version_texts(content),
        explosion_url=reverse("designs:explosion", args=[content.pk]),
    )
    return context


def _render_design(
    request: HttpRequest, design: Design, version: DesignVersion | None
) -> HttpResponse:
    context = _design_context(request_actor(request), design, version)
    return render(request, "designs/design.html", context)


@access("public", object="slug", model="designs.Design")
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    actor = request_actor(request)
    design = get_visible_or_404(Design, actor, slug=slug)
    return _render_design(request, design, selectors.default_version(actor, design))


@access("public", object="version_id", model="designs.DesignVersion")
def version(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_visible_or_404(DesignVersion, request_actor(request), pk=version_id)
    return _render_design(request, version.design, version)


# ---------------------------------------------------------------- BOM explosion


class ExplosionForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Units to build"),
        min_value=1,
        max_value=MAX_UNITS,
        initial=1,
        error_messages={
            "required": _("Give the number of units to build."),
            "invalid": _("Give a whole number of units, for example 10."),
            "min_value": _("Build at least 1 unit."),
            "max_value": _("Give at most %(limit_value)s units."),
        },
    )


@access("public", object="version_id", model="designs.DesignVersion")
def explosion(request: HttpRequest, version_id: int) -> HttpResponse:
    actor = request_actor(request)
    version = get_visible_or_404(DesignVersion, actor, pk=version_id)
    form = ExplosionForm(request.GET if "quantity" in request.GET else {"quantity": 1})
    context: dict[str, Any] = {"form": form, "version": version, "design": version.design}
    if form.is_valid():
        result = selectors.explode_bom(version, form.cleaned_data["quantity"], actor=actor)
        for need in result.needs:
            need.quantity = _number(need.quantity)  # type: ignore[assignment]
            need.used_in = sorted(need.used_in)  # type: ignore[assignment]
        component_ids = {cv.pk for cv, _qty in result.components}
        visible = set(
            DesignVersion.objects.visible_to(actor)
            .filter(pk__in=component_ids)
            .values_list("pk", flat=True)
            if component_ids
            else ()
        )
        context["explosion"] = result
        context["components"] = [
            (cv, _number(qty), cv.pk in visible) for cv, qty in result.components
        ]
    template = (
        "designs/partials/explosion.html" if _wants_fragment(request) else "designs/explosion.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------- comparison


def _plain_texts(texts: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [(label, plain_text(old), plain_text(new)) for label, old, new in texts]


@access("public", object="version_id", model="designs.DesignVersion")
def compare(request: HttpRequest, version_id: int) -> HttpResponse:
    actor = request_actor(request)
    new = get_visible_or_404(DesignVersion, actor, pk=version_id)
    design = new.design
    versions = selectors.visible_versions(actor, design)
    other = request.GET.get("with")
    old: DesignVersion | None
    if other:
        old = get_visible_or_404(DesignVersion, actor, pk=other)
    else:
        old = next((v for v in versions if v.pk == new.previous_id), None)
    context: dict[str, Any] = {
        "design": design,
        "version": new,
        "old": old,
        "choices": [v for v in versions if v.pk != new.pk],
        "diff": None,
    }
    if old is not None:
        diff = selectors.compare_versions(actor, old, new)
        diff.texts = _plain_texts(diff.texts)
        context["diff"] = diff
        context["sections"] = [
            ("bom", _("Bill of materials"), diff.bom),
            ("routing", _("Routing"), diff.routing),
            ("quality", _("Quality checks"), diff.quality),
            ("files", _("Files"), diff.files),
        ]
    return render(request, "designs/compare.html", context)


# ---------------------------------------------------------------- the coordinator's review


@access("public", object="version_id", model="designs.DesignVersion")
def review(request: HttpRequest, version_id: int) -> HttpResponse:
    actor = request_actor(request)
    version = get_visible_or_404(DesignVersion, actor, pk=version_id)
    content = selectors.version_content(actor, version)
    sections, answered, total = selectors.dfm_checklist(content)
    capabilities = selectors.manufacturability(actor, content)
    context = {
        "design": content.design,
        "version": content,
        # Completeness judges the documentation itself, internal files included (the owner's
        # native sources count even when only the owner may download them).
        "completeness": selectors.completeness(content),
        "dfm_sections": sections,
        "dfm_answered": answered,
        "dfm_total": total,
        "capabilities": capabilities,
        "possible_count": sum(c.possible for c in capabilities),
        "impossible": [c for c in capabilities if not c.possible],
        "editing": has_perm(actor, "design.edit", content.design.organization_id)
        and content.is_editable,
    }
    return render(request, "designs/review.html", context)


# ---------------------------------------------------------------- files and photos


@access("public", object="file_id", model="designs.DesignFile")
@xframe_options_sameorigin  # the design page previews PDFs in an <object>, a frame for browsers
def file(request: HttpRequest, file_id: int) -> FileResponse:
    """The bytes of a file: previewable kinds inline, ``?download=1`` as an attachment."""
    design_file = get_visible_or_404(DesignFile, request_actor(request), pk=file_id)
    inline = request.GET.get("download") != "1"
    return blob_response(design_file.blob, design_file.filename, inline=inline)


def _thumbnail_name(filename: str) -> str:
    return f"{PurePosixPath(filename).stem or 'preview'}.png"


@access("public", object="file_id", model="designs.DesignFile")
def file_thumbnail(request: HttpRequest, file_id: int) -> FileResponse:
    design_file = get_visible_or_404(DesignFile, request_actor(request), pk=file_id)
    thumbnail = design_file.blob.thumbnail
    if thumbnail is None:
        raise Http404
    return blob_response(thumbnail, _thumbnail_name(design_file.filename), inline=True)


@access("public", object="version_id", model="designs.DesignVersion")
def package(request: HttpRequest, version_id: int) -> HttpResponse:
    actor = request_actor(request)
    version = get_visible_or_404(DesignVersion, actor, pk=version_id)
    response = HttpResponse(build_package(actor, version), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=package_filename(version)
    )
    return response
