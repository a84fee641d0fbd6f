"""Writes of the designs library. Every change checks permissions, is audited, and is atomic.

The version state machine lives here: only a draft can change (:func:`editable_version`);
:func:`release_version` freezes it; :func:`start_draft` copies the latest version into a new
draft that carries a change note; :func:`make_obsolete` retires a released version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from reproduce.accounts.models import Organization
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.core.sanitize import clean_html, plain_text
from reproduce.designs.configurator import validate_spec
from reproduce.designs.dfm import QUESTION_CODES
from reproduce.designs.models import (
    RECIPROCAL_LICENSES,
    VERSION_TRANSITIONS,
    BomLine,
    BuildReport,
    Design,
    DesignFile,
    DesignShare,
    DesignVersion,
    DfmAnswer,
    FileRole,
    Item,
    ItemKind,
    License,
    Operation,
    QcCriterion,
    SopStep,
    VersionState,
    Visibility,
)
from reproduce.files.models import Blob
from reproduce.files.services import ingest
from reproduce.network.models import Site


class DesignError(ValidationError):
    """A refused change, with a stable ``code`` the API returns and a translated message."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


DESIGN_FIELDS = [
    "name",
    "kind",
    "summary",
    "description",
    "license",
    "licensor",
    "tags",
    "repository_url",
]
VERSION_FIELDS = [
    "function",
    "material_notes",
    "manufacturing_notes",
    "general_tolerance",
    "finishing_notes",
    "packaging_notes",
    "assembly_not_applicable",
    "finishing_not_applicable",
    "model_3d_not_applicable",
    "configurator",
    "change_note",
]
ITEM_FIELDS = [
    "kind",
    "name",
    "material",
    "design",
    "specification",
    "supplier",
    "supplier_reference",
    "default_unit",
    "is_recycled",
]
OPERATION_FIELDS = [
    "name",
    "kind",
    "process",
    "material",
    "min_x_mm",
    "min_y_mm",
    "min_z_mm",
    "thickness_mm",
    "tolerance_class",
    "min_power_w",
    "parameters",
    "setup_minutes",
    "unit_minutes",
    "needs_trained_operator",
    "certification",
]
QC_FIELDS = [
    "operation",
    "characteristic",
    "method",
    "nominal",
    "tolerance_minus",
    "tolerance_plus",
    "unit",
    "acceptance",
]
FILE_KINDS_BY_ROLE: dict[str, set[str] | None] = {
    FileRole.IMAGE: {"png", "jpeg", "webp", "gif", "svg"},
    FileRole.CAD_EXCHANGE: {"stl", "threemf", "step"},
    FileRole.DRAWING: {"pdf", "dxf", "svg", "png", "jpeg"},
    FileRole.ARCHIVE: {"zip"},
}


# Addresses the library's own pages use: a design may not take them as its slug.
RESERVED_SLUGS = frozenset({"new", "import", "fork", "builds", "versions", "files", "bom", "qc"})


def _unique_slug(base: str) -> str:
    slug = slugify(base)[:100] or "design"
    candidate, n = slug, 2
    while (
        candidate in RESERVED_SLUGS
        or Design.objects.unscoped("slug uniqueness is global").filter(slug=candidate).exists()
    ):
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _clean_tags(tags: Iterable[str] | str | None) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    seen: list[str] = []
    for tag in tags or []:
        t = plain_text(str(tag)).strip().lower()[:40]
        if t and t not in seen:
            seen.append(t)
    return seen[:20]


def _plain_line(value: str) -> str:
    """One line of text kept as typed ("Name <email>" stays whole; templates escape it)."""
    return " ".join(str(value or "").split())


def _save(obj: Any, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude)
    obj.save()


# ---------------------------------------------------------------- designs


@transaction.atomic
def create_design(
    *,
    actor: Actor,
    organization: Organization,
    values: dict[str, Any],
    number: str = "0.1",
    visibility: str = Visibility.PRIVATE,
    is_demo: bool = False,
) -> Design:
    """A new design owned by ``organization``, with its first (draft) version."""
    require(actor, "design.edit", organization.pk)
    data = {k: v for k, v in values.items() if k in DESIGN_FIELDS}
    _check_publishable(visibility, str(data.get("license", License.CERN_OHL_S)))
    design = Design(
        organization=organization,
        slug=values.get("slug") or _unique_slug(str(data.get("name", ""))),
        visibility=visibility,
        is_demo=is_demo,
        created_by=actor.user,
        **data,
    )
    design.name = plain_text(design.name)
    design.summary = plain_text(design.summary)
    design.licensor = _plain_line(design.licensor)
    design.attribution = plain_text(str(values.get("attribution", "")))[:400]
    design.description = clean_html(design.description)
    design.tags = _clean_tags(design.tags)
    if not design.licensor:
        design.licensor = organization.name
    _save(design)
    version = DesignVersion(design=design, number=number, created_by=actor.user)
    _save(version)
    audit.record(
        actor=actor,
        action="design.created",
        obj=design,
        organization_id=organization.pk,
        changes=audit.snapshot(design, ["name", "kind", "license", "visibility"]),
    )
    return design


@transaction.atomic
def update_design(*, actor: Actor, design: Design, values: dict[str, Any]) -> Design:
    require(actor, "design.edit", design.organization_id)
    before = audit.snapshot(design, DESIGN_FIELDS)
    for key, value in values.items():
        if key in DESIGN_FIELDS:
            setattr(design, key, value)
    design.name = plain_text(design.name)
    design.summary = plain_text(design.summary)
    design.licensor = _plain_line(design.licensor)
    design.description = clean_html(design.description)
    design.tags = _clean_tags(design.tags)
    if design.forked_from_id and design.license != before["license"]:
        _check_fork_license(design.forked_from.design, design.license)  # type: ignore[union-attr]
    _save(design)
    audit.record(
        actor=actor,
        action="design.updated",
        obj=design,
        organization_id=design.organization_id,
        changes=audit.diff(before, audit.snapshot(design, DESIGN_FIELDS)),
    )
    return design


def _check_publishable(visibility: str, license: str) -> None:
    if visibility not in Visibility.values:
        raise DesignError(_("Choose a visibility from the list."), "invalid_visibility")
    published = visibility in (Visibility.PUBLIC, Visibility.NETWORK)
    if published and license == License.PROPRIETARY:
        raise DesignError(
            _(
                "A design under “all rights reserved” cannot be published: "
                "choose an open licence first."
            ),
            "license_not_open",
        )


@transaction.atomic
def set_visibility(
    *,
    actor: Actor,
    design: Design,
    visibility: str,
    organizations: Sequence[Organization] = (),
) -> Design:
    """Who sees the design; ``organizations`` are the named ones (kept for every visibility)."""
    require(actor, "design.edit", design.organization_id)
    _check_publishable(visibility, design.license)
    before = {"visibility": design.visibility}
    design.visibility = visibility
    design.save(update_fields=["visibility", "updated_at"])
    wanted = {o.pk for o in organizations if o.pk != design.organization_id}
    existing = DesignShare.objects.owned_by(design.organization_id).filter(design=design)
    current = {s.organization_id: s for s in existing.filter(reason="")}
    for org_id, share in current.items():
        if org_id not in wanted:
            share.delete()
    for org_id in wanted - set(current):
        design.shares.get_or_create(organization_id=org_id)
    audit.record(
        actor=actor,
        action="design.visibility_set",
        obj=design,
        organization_id=design.organization_id,
        changes={"visibility": [before["visibility"], visibility], "named": sorted(wanted)},
    )
    return design


@transaction.atomic
def share_with(
    *, actor: Actor | None, design: Design, organization: Organization, reason: str
) -> DesignShare:
    """Share a design with one organisation for a reason (e.g. a work order dispatched to it).

    Callers are services that already checked their own permission (``actor`` may be None for
    background work); the share is audited.
    """
    share, created = design.shares.get_or_create(
        organization=organization, defaults={"reason": reason}
    )
    if created:
        audit.record(
            actor=actor,
            action="design.shared",
            obj=design,
            organization_id=design.organization_id,
            changes={"organization": organization.pk, "reason": reason},
        )
    return share


# ---------------------------------------------------------------- versions


def lock_reason(version: DesignVersion) -> str | None:
    """Why the version cannot change (None for a draft); reads without locking, for pages."""
    if version.state == VersionState.DRAFT:
        return None
    return _(
        "Version %(number)s is %(state)s and cannot change any more: "
        "start a new draft to make changes."
    ) % {"number": version.number, "state": version.get_state_display().lower()}


def editable_version(version: DesignVersion) -> DesignVersion:
    """The version, locked for update, if it is a draft; otherwise a clear refusal."""
    locked = (
        DesignVersion.objects.unscoped("re-read of a version the caller already holds")
        .select_for_update()
        .get(pk=version.pk)
    )
    reason = lock_reason(locked)
    if reason is not None:
        raise DesignError(reason, "version_released")
    version.state = locked.state
    return version


def _transition(version: DesignVersion, target: str) -> None:
    if target not in VERSION_TRANSITIONS[version.state]:
        raise DesignError(
            _("A %(state)s version cannot become %(target)s.")
            % {
                "state": version.get_state_display().lower(),
                "target": VersionState(target).label.lower(),
            },
            "invalid_transition",
        )
    version.state = target


@transaction.atomic
def update_version(
    *, actor: Actor, version: DesignVersion, values: dict[str, Any]
) -> DesignVersion:
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    before = audit.snapshot(version, [*VERSION_FIELDS, "number"])
    if "configurator" in values:
        values = {**values, "configurator": validate_spec(version, values["configurator"])}
    for key, value in values.items():
        if key in VERSION_FIELDS:
            setattr(version, key, value)
    for key in (
        "function",
        "material_notes",
        "manufacturing_notes",
        "finishing_notes",
        "packaging_notes",
        "change_note",
    ):
        setattr(version, key, clean_html(getattr(version, key)))
    if "number" in values and values["number"] != version.number:
        version.number = str(values["number"]).strip()
        _check_number_free(version)
    _save(version, exclude=["design", "previous"])
    audit.record(
        actor=actor,
        action="version.updated",
        obj=version,
        organization_id=version.design.organization_id,
        changes=audit.diff(before, audit.snapshot(version, [*VERSION_FIELDS, "number"])),
    )
    return version


def _check_number_free(version: DesignVersion) -> None:
    taken = version.design.versions.filter(number=version.number).exclude(pk=version.pk).exists()
    if taken:
        raise DesignError(
            _("Version %(number)s already exists for this design.") % {"number": version.number},
            "version_number",
        )


@transaction.atomic
def release_version(
    *, actor: Actor, version: DesignVersion, number: str | None = None
) -> DesignVersion:
    """Freeze a draft: from now on it cannot change, and others may build from it."""
    require(actor, "design.release", version.design.organization_id)
    editable_version(version)
    if number:
        version.number = number.strip()
        _check_number_free(version)
    if not version.design.name:
        raise DesignError(_("Give the design a name before releasing it."), "incomplete")
    previous = version.previous
    if previous is not None and version.number_key <= previous.number_key:
        raise DesignError(
            _("Version %(number)s must be greater than the previous version %(previous)s.")
            % {"number": version.number, "previous": previous.number},
            "version_number",
        )
    if previous is not None and not version.change_note.strip():
        raise DesignError(
            _("Write a change note: what changed since version %(previous)s, and why.")
            % {"previous": previous.number},
            "change_note_missing",
        )
    _transition(version, VersionState.RELEASED)
    version.released_at = timezone.now()
    version.released_by = actor.user
    try:
        with transaction.atomic():
            _save(version, exclude=["design", "previous"])
    except IntegrityError as exc:
        raise DesignError(
            _("Version %(number)s already exists for this design.") % {"number": version.number},
            "version_number",
        ) from exc
    audit.record(
        actor=actor,
        action="version.released",
        obj=version,
        organization_id=version.design.organization_id,
        changes={"number": version.number},
    )
    return version


@transaction.atomic
def make_obsolete(*, actor: Actor, version: DesignVersion) -> DesignVersion:
    require(actor, "design.release", version.design.organization_id)
    _transition(version, VersionState.OBSOLETE)
    version.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action="version.obsoleted",
        obj=version,
        organization_id=version.design.organization_id,
    )
    return version


def next_number(number: str) -> str:
    parts = [int(p) for p in number.split(".")]
    if len(parts) == 1:
        parts.append(0)
    parts[1] += 1
    return ".".join(str(p) for p in parts[:2])


def latest_version(design: Design, *, released_only: bool = False) -> DesignVersion | None:
    versions = design.versions.all()
    if released_only:
        versions = versions.filter(state=VersionState.RELEASED)
    return versions.order_by("-created_at", "-pk").first()


def latest_released(design: Design) -> DesignVersion | None:
    return (
        design.versions.filter(state=VersionState.RELEASED).order_by("-released_at", "-pk").first()
    )


@transaction.atomic
def start_draft(
    *, actor: Actor, design: Design, change_note: str = "", number: str | None = None
) -> DesignVersion:
    """A new draft copied from the latest version; there is at most one draft per design."""
    require(actor, "design.edit", design.organization_id)
    Design.objects.unscoped("lock of a design the caller holds").select_for_update().get(
        pk=design.pk
    )
    if design.versions.filter(state=VersionState.DRAFT).exists():
        raise DesignError(
            _("This design already has a draft: continue editing it."), "draft_exists"
        )
    source = latest_version(design)
    draft = DesignVersion(
        design=design,
        number=number or (next_number(source.number) if source else "0.1"),
        previous=source,
        change_note=clean_html(change_note),
        created_by=actor.user,
    )
    if source is not None:
        for field in VERSION_FIELDS:
            if field != "change_note":
                setattr(draft, field, getattr(source, field))
    try:
        with transaction.atomic():
            _save(draft, exclude=["design", "previous"])
    except IntegrityError as exc:
        raise DesignError(
            _("Version %(number)s already exists for this design.") % {"number": draft.number},
            "version_number",
        ) from exc
    if source is not None:
        copy_content(source, draft)
    audit.record(
        actor=actor,
        action="version.draft_started",
        obj=draft,
        organization_id=design.organization_id,
        changes={"from": source.number if source else None, "number": draft.number},
    )
    return draft


def copy_content(source: DesignVersion, target: DesignVersion) -> None:
    """Copy files, BOM, routing (with SOP steps and QC) and DFM answers into ``target``."""
    file_map: dict[int, DesignFile] = {}
    for f in source.files.all():
        old = f.pk
        f.pk = None
        f.version = target
        f.save()
        file_map[old] = f
    lines = list(source.bom_lines.all())
    for line in lines:
        line.pk = None
        line.version = target
    BomLine.objects.bulk_create(lines)
    op_map: dict[int, Operation] = {}
    for op in source.operations.all():
        old = op.pk
        op.pk = None
        op.version = target
        op.save()
        op_map[old] = op
    steps = list(
        SopStep.objects.unscoped("steps of a version being copied").filter(
            operation__version=source
        )
    )
    for step in steps:
        step.pk = None
        step.operation = op_map[step.operation_id]
        step.image = file_map.get(step.image_id) if step.image_id else None
    SopStep.objects.bulk_create(steps)
    criteria = list(source.qc_criteria.all())
    for c in criteria:
        c.pk = None
        c.version = target
        c.operation = op_map[c.operation_id] if c.operation_id else None
    QcCriterion.objects.bulk_create(criteria)
    answers = list(source.dfm_answers.all())
    for a in answers:
        a.pk = None
        a.version = target
    DfmAnswer.objects.bulk_create(answers)


# ---------------------------------------------------------------- files


@transaction.atomic
def add_file(
    *,
    actor: Actor,
    version: DesignVersion,
    upload: IO[bytes],
    filename: str,
    role: str,
    description: str = "",
    is_internal: bool = False,
) -> DesignFile:
    """Store an uploaded file (checked by the files app) and attach it to a draft."""
    from reproduce.files.services import safe_filename

    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    if role not in FileRole.values:
        raise DesignError(_("Choose what the file is from the list."), "invalid_role")
    blob = ingest(upload, filename, allowed_kinds=FILE_KINDS_BY_ROLE.get(role))
    return attach_blob(
        actor=actor,
        version=version,
        blob=blob,
        filename=safe_filename(filename),
        role=role,
        description=description,
        is_internal=is_internal,
    )


def attach_blob(
    *,
    actor: Actor | None,
    version: DesignVersion,
    blob: Blob,
    filename: str,
    role: str,
    description: str = "",
    is_internal: bool = False,
) -> DesignFile:
    if version.files.filter(filename=filename).exists():
        raise DesignError(
            _(
                "A file named %(name)s is already attached to this version: "
                "rename it or remove the other one first."
            )
            % {"name": filename},
            "duplicate_file",
        )
    position = (version.files.aggregate(m=Max("position"))["m"] or 0) + 1
    design_file = DesignFile(
        version=version,
        blob=blob,
        filename=filename,
        role=role,
        description=plain_text(description),
        is_internal=is_internal,
        position=position,
    )
    _save(design_file, exclude=["version", "blob"])
    audit.record(
        actor=actor,
        action="design_file.added",
        obj=design_file,
        organization_id=version.design.organization_id,
        changes={"filename": filename, "sha256": blob.sha256, "role": role},
    )
    return design_file


@transaction.atomic
def update_file(*, actor: Actor, design_file: DesignFile, values: dict[str, Any]) -> DesignFile:
    require(actor, "design.edit", design_file.version.design.organization_id)
    editable_version(design_file.version)
    allowed = FILE_KINDS_BY_ROLE.get(values.get("role", design_file.role))
    if allowed is not None and design_file.blob.kind not in allowed:
        raise DesignError(
            _("This file's content does not fit that role: choose another role."),
            "invalid_role",
        )
    for key in ("role", "description", "is_internal"):
        if key in values:
            setattr(design_file, key, values[key])
    design_file.description = plain_text(design_file.description)
    _save(design_file, exclude=["version", "blob"])
    audit.record(
        actor=actor,
        action="design_file.updated",
        obj=design_file,
        organization_id=design_file.version.design.organization_id,
        changes={k: values[k] for k in ("role", "is_internal") if k in values},
    )
    return design_file


@transaction.atomic
def remove_file(*, actor: Actor, design_file: DesignFile) -> None:
    require(actor, "design.edit", design_file.version.design.organization_id)
    editable_version(design_file.version)
    audit.record(
        actor=actor,
        action="design_file.removed",
        obj=design_file,
        organization_id=design_file.version.design.organization_id,
        changes={"filename": design_file.filename},
    )
    design_file.delete()


# ---------------------------------------------------------------- items and BOM


@transaction.atomic
def create_item(*, actor: Actor, organization: Organization, values: dict[str, Any]) -> Item:
    require(actor, "design.edit", organization.pk)
    item = Item(organization=organization, **{k: v for k, v in values.items() if k in ITEM_FIELDS})
    item.name = plain_text(item.name)
    item.specification = plain_text(item.specification)
    if item.kind == ItemKind.DESIGN and item.design is None:
        raise DesignError(_("Choose the design this item stands for."), "item_design_missing")
    if item.kind == ItemKind.DESIGN and item.design is not None:
        _check_visible_design(actor, item.design)
    if item.kind != ItemKind.DESIGN:
        item.design = None
    if item.kind == ItemKind.DESIGN and not item.name and item.design is not None:
        item.name = item.design.name
    _save(item, exclude=["organization"])
    audit.record(
        actor=actor,
        action="item.created",
        obj=item,
        organization_id=organization.pk,
        changes=audit.snapshot(item, ["kind", "name", "material_id", "design_id"]),
    )
    return item


def _check_visible_design(actor: Actor, design: Design) -> None:
    if not Design.objects.visible_to(actor).filter(pk=design.pk).exists():
        raise DesignError(_("That design does not exist or is not shared with you."), "not_found")


def item_for_design(*, actor: Actor, organization: Organization, design: Design) -> Item:
    """The organisation's item standing for a library design (created on first use)."""
    _check_visible_design(actor, design)
    existing = (
        Item.objects.owned_by(organization).filter(kind=ItemKind.DESIGN, design=design).first()
    )
    if existing is not None:
        return existing
    return create_item(
        actor=actor,
        organization=organization,
        values={"kind": ItemKind.DESIGN, "name": design.name, "design": design},
    )


def _component_designs(version_ids: set[int]) -> set[int]:
    """Every design reachable below these versions (one query per BOM level)."""
    found: set[int] = set()
    frontier = set(version_ids)
    seen_versions: set[int] = set()
    while frontier:
        seen_versions |= frontier
        rows = (
            BomLine.objects.unscoped("cycle check walks the BOM whatever its owner")
            .filter(version_id__in=frontier, component_version__isnull=False)
            .values_list("component_version_id", "component_version__design_id")
        )
        frontier = set()
        for version_id, design_id in rows:
            found.add(design_id)
            if version_id not in seen_versions:
                frontier.add(version_id)
    return found


def _check_component(version: DesignVersion, component: DesignVersion | None) -> None:
    if component is None:
        return
    if component.state == VersionState.DRAFT:
        raise DesignError(
            _(
                "A BOM can only use released versions of other designs "
                "(%(name)s %(number)s is a draft)."
            )
            % {"name": component.design.name, "number": component.number},
            "component_not_released",
        )
    below = _component_designs({component.pk}) | {component.design_id}
    if version.design_id in below:
        raise DesignError(
            _(
                "%(component)s contains %(design)s, so %(design)s cannot contain it: "
                "a BOM cannot loop back on itself."
            )
            % {"component": component.design.name, "design": version.design.name},
            "bom_cycle",
        )


def _resolve_component(
    actor: Actor, item: Item, component_version: DesignVersion | None
) -> DesignVersion | None:
    if item.kind != ItemKind.DESIGN:
        return None
    if component_version is None:
        assert item.design is not None
        component_version = latest_released(item.design)
        if component_version is None:
            raise DesignError(
                _("%(name)s has no released version yet: it cannot be used in a BOM.")
                % {"name": item.design.name},
                "component_not_released",
            )
    elif component_version.design_id != item.design_id:
        raise DesignError(_("That version belongs to another design."), "component_mismatch")
    if not DesignVersion.objects.visible_to(actor).filter(pk=component_version.pk).exists():
        raise DesignError(_("That design does not exist or is not shared with you."), "not_found")
    return component_version


@transaction.atomic
def add_bom_line(
    *,
    actor: Actor,
    version: DesignVersion,
    item: Item,
    quantity: Decimal,
    unit: str | None = None,
    component_version: DesignVersion | None = None,
    reference: str = "",
    notes: str = "",
) -> BomLine:
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    if item.organization_id != version.design.organization_id:
        raise DesignError(_("Use an item of the design's organisation."), "foreign_item")
    component = _resolve_component(actor, item, component_version)
    _check_component(version, component)
    position = (version.bom_lines.aggregate(m=Max("position"))["m"] or 0) + 1
    line = BomLine(
        version=version,
        item=item,
        component_version=component,
        quantity=quantity,
        unit=unit or item.default_unit,
        reference=plain_text(reference),
        notes=plain_text(notes),
        position=position,
    )
    _save(line, exclude=["version", "item", "component_version"])
    audit.record(
        actor=actor,
        action="bom_line.added",
        obj=line,
        organization_id=version.design.organization_id,
        changes={"item": item.name, "quantity": str(quantity), "unit": line.unit},
    )
    return line


@transaction.atomic
def update_bom_line(*, actor: Actor, line: BomLine, values: dict[str, Any]) -> BomLine:
    require(actor, "design.edit", line.version.design.organization_id)
    editable_version(line.version)
    before = audit.snapshot(line, ["quantity", "unit", "reference", "notes"])
    for key in ("quantity", "unit", "reference", "notes"):
        if key in values:
            setattr(line, key, values[key])
    if "component_version" in values:
        line.component_version = _resolve_component(actor, line.item, values["component_version"])
        _check_component(line.version, line.component_version)
    line.reference = plain_text(line.reference)
    line.notes = plain_text(line.notes)
    _save(line, exclude=["version", "item", "component_version"])
    audit.record(
        actor=actor,
        action="bom_line.updated",
        obj=line,
        organization_id=line.version.design.organization_id,
        changes=audit.diff(
            before, audit.snapshot(line, ["quantity", "unit", "reference", "notes"])
        ),
    )
    return line


@transaction.atomic
def remove_bom_line(*, actor: Actor, line: BomLine) -> None:
    require(actor, "design.edit", line.version.design.organization_id)
    editable_version(line.version)
    audit.record(
        actor=actor,
        action="bom_line.removed",
        obj=line,
        organization_id=line.version.design.organization_id,
        changes={"item": line.item.name},
    )
    line.delete()


# ---------------------------------------------------------------- routing


@transaction.atomic
def add_operation(*, actor: Actor, version: DesignVersion, values: dict[str, Any]) -> Operation:
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    position = (version.operations.aggregate(m=Max("position"))["m"] or 0) + 1
    op = Operation(
        version=version,
        position=position,
        **{k: v for k, v in values.items() if k in OPERATION_FIELDS},
    )
    op.name = plain_text(op.name)
    op.parameters = plain_text(op.parameters)
    _save(op, exclude=["version"])
    audit.record(
        actor=actor,
        action="operation.added",
        obj=op,
        organization_id=version.design.organization_id,
        changes=audit.snapshot(op, ["name", "kind", "process_id", "material_id"]),
    )
    return op


@transaction.atomic
def update_operation(*, actor: Actor, operation: Operation, values: dict[str, Any]) -> Operation:
    require(actor, "design.edit", operation.version.design.organization_id)
    editable_version(operation.version)
    before = audit.snapshot(operation, OPERATION_FIELDS)
    for key, value in values.items():
        if key in OPERATION_FIELDS:
            setattr(operation, key, value)
    operation.name = plain_text(operation.name)
    operation.parameters = plain_text(operation.parameters)
    _save(operation, exclude=["version"])
    audit.record(
        actor=actor,
        action="operation.updated",
        obj=operation,
        organization_id=operation.version.design.organization_id,
        changes=audit.diff(before, audit.snapshot(operation, OPERATION_FIELDS)),
    )
    return operation


@transaction.atomic
def remove_operation(*, actor: Actor, operation: Operation) -> None:
    require(actor, "design.edit", operation.version.design.organization_id)
    editable_version(operation.version)
    audit.record(
        actor=actor,
        action="operation.removed",
        obj=operation,
        organization_id=operation.version.design.organization_id,
        changes={"name": operation.name},
    )
    operation.delete()


def _reorder(rows: Sequence[Any], ordered_ids: Sequence[int], what: str) -> None:
    by_id = {r.pk: r for r in rows}
    if sorted(ordered_ids) != sorted(by_id) or len(set(ordered_ids)) != len(ordered_ids):
        raise DesignError(
            _("The new order must list every %(what)s exactly once.") % {"what": what},
            "invalid_order",
        )
    for position, pk in enumerate(ordered_ids, start=1):
        by_id[pk].position = position
    if rows:
        type(rows[0]).objects.unscoped("rows the caller loaded through their parent").bulk_update(
            list(by_id.values()), ["position"]
        )


@transaction.atomic
def reorder_operations(
    *, actor: Actor, version: DesignVersion, ordered_ids: Sequence[int]
) -> list[Operation]:
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    ops = list(version.operations.all())
    _reorder(ops, ordered_ids, _("operation"))
    audit.record(
        actor=actor,
        action="operation.reordered",
        obj=version,
        organization_id=version.design.organization_id,
        changes={"order": list(ordered_ids)},
    )
    return sorted(ops, key=lambda o: o.position)


@transaction.atomic
def move_operation(*, actor: Actor, operation: Operation, offset: int) -> None:
    """Move one operation up (-1) or down (+1): the page's arrows."""
    version = operation.version
    ids = list(version.operations.values_list("pk", flat=True))
    i = ids.index(operation.pk)
    j = max(0, min(len(ids) - 1, i + offset))
    if i == j:
        return  # already first or last: nothing moves, nothing to record
    ids[i], ids[j] = ids[j], ids[i]
    reorder_operations(actor=actor, version=version, ordered_ids=ids)


def _is_picture(design_file: DesignFile) -> bool:
    return design_file.blob.is_image or design_file.blob.kind == "svg"


@transaction.atomic
def add_step(
    *,
    actor: Actor,
    operation: Operation,
    text: str,
    image: DesignFile | None = None,
    caution: str = "",
) -> SopStep:
    version = operation.version
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    if image is not None and (image.version_id != version.pk or not _is_picture(image)):
        raise DesignError(
            _("The step's picture must be an image attached to this version."), "invalid_image"
        )
    clean = clean_html(text)
    if not plain_text(clean):
        raise DesignError(_("Write the instruction of this step."), "empty_step")
    position = (operation.steps.aggregate(m=Max("position"))["m"] or 0) + 1
    step = SopStep(
        operation=operation, text=clean, image=image, caution=plain_text(caution), position=position
    )
    step.save()
    audit.record(
        actor=actor,
        action="sop_step.added",
        obj=step,
        organization_id=version.design.organization_id,
        changes={"operation": operation.pk},
    )
    return step


@transaction.atomic
def update_step(*, actor: Actor, step: SopStep, values: dict[str, Any]) -> SopStep:
    version = step.operation.version
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    if "text" in values:
        step.text = clean_html(values["text"])
        if not plain_text(step.text):
            raise DesignError(_("Write the instruction of this step."), "empty_step")
    if "caution" in values:
        step.caution = plain_text(values["caution"])
    if "image" in values:
        image = values["image"]
        if image is not None and (image.version_id != version.pk or not _is_picture(image)):
            raise DesignError(
                _("The step's picture must be an image attached to this version."), "invalid_image"
            )
        step.image = image
    step.save()
    audit.record(
        actor=actor,
        action="sop_step.updated",
        obj=step,
        organization_id=version.design.organization_id,
    )
    return step


@transaction.atomic
def remove_step(*, actor: Actor, step: SopStep) -> None:
    version = step.operation.version
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    audit.record(
        actor=actor,
        action="sop_step.removed",
        obj=step,
        organization_id=version.design.organization_id,
    )
    step.delete()


@transaction.atomic
def reorder_steps(*, actor: Actor, operation: Operation, ordered_ids: Sequence[int]) -> None:
    version = operation.version
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    _reorder(list(operation.steps.all()), ordered_ids, _("step"))
    audit.record(
        actor=actor,
        action="sop_step.reordered",
        obj=operation,
        organization_id=version.design.organization_id,
        changes={"order": list(ordered_ids)},
    )


@transaction.atomic
def add_criterion(*, actor: Actor, version: DesignVersion, values: dict[str, Any]) -> QcCriterion:
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    op = values.get("operation")
    if op is not None and op.version_id != version.pk:
        raise DesignError(_("That operation belongs to another version."), "invalid_operation")
    position = (version.qc_criteria.aggregate(m=Max("position"))["m"] or 0) + 1
    criterion = QcCriterion(
        version=version,
        position=position,
        **{k: v for k, v in values.items() if k in QC_FIELDS},
    )
    _clean_criterion(criterion)
    _save(criterion, exclude=["version", "operation"])
    audit.record(
        actor=actor,
        action="qc_criterion.added",
        obj=criterion,
        organization_id=version.design.organization_id,
        changes={"characteristic": criterion.characteristic},
    )
    return criterion


def _clean_criterion(c: QcCriterion) -> None:
    for key in ("characteristic", "method", "unit", "acceptance"):
        setattr(c, key, plain_text(getattr(c, key)))
    has_numbers = c.nominal is not None
    if has_numbers and (c.tolerance_minus is None or c.tolerance_plus is None):
        raise DesignError(
            _("Give both tolerances with the nominal value (use 0 for a one-sided limit)."),
            "tolerance_missing",
        )
    if has_numbers and not c.unit:
        raise DesignError(_("Give the unit of the nominal value."), "unit_missing")
    if not has_numbers and not c.acceptance:
        raise DesignError(
            _(
                "Say how the check is accepted: a nominal value with tolerances, "
                "or an acceptance criterion."
            ),
            "acceptance_missing",
        )


@transaction.atomic
def update_criterion(
    *, actor: Actor, criterion: QcCriterion, values: dict[str, Any]
) -> QcCriterion:
    require(actor, "design.edit", criterion.version.design.organization_id)
    editable_version(criterion.version)
    for key, value in values.items():
        if key in QC_FIELDS:
            setattr(criterion, key, value)
    if criterion.operation is not None and criterion.operation.version_id != criterion.version_id:
        raise DesignError(_("That operation belongs to another version."), "invalid_operation")
    _clean_criterion(criterion)
    _save(criterion, exclude=["version", "operation"])
    audit.record(
        actor=actor,
        action="qc_criterion.updated",
        obj=criterion,
        organization_id=criterion.version.design.organization_id,
    )
    return criterion


@transaction.atomic
def remove_criterion(*, actor: Actor, criterion: QcCriterion) -> None:
    require(actor, "design.edit", criterion.version.design.organization_id)
    editable_version(criterion.version)
    audit.record(
        actor=actor,
        action="qc_criterion.removed",
        obj=criterion,
        organization_id=criterion.version.design.organization_id,
    )
    criterion.delete()


# ---------------------------------------------------------------- DFM checklist


@dataclass(frozen=True)
class DfmInput:
    answer: str
    comment: str = ""


@transaction.atomic
def answer_dfm(
    *, actor: Actor, version: DesignVersion, answers: dict[str, DfmInput]
) -> list[DfmAnswer]:
    """Record answers to the DFM checklist (Annex A.1); unknown questions are refused."""
    require(actor, "design.edit", version.design.organization_id)
    editable_version(version)
    unknown = set(answers) - set(QUESTION_CODES)
    if unknown:
        raise DesignError(
            _("Unknown checklist questions: %(codes)s.") % {"codes": ", ".join(sorted(unknown))},
            "unknown_question",
        )
    saved = []
    for code, given in answers.items():
        if given.answer == "":
            version.dfm_answers.filter(question=code).delete()  # the answer is withdrawn
            continue
        if given.answer not in DfmAnswer.Answer.values:
            raise DesignError(_("Answer yes, no or not applicable."), "invalid_answer")
        row, _created = version.dfm_answers.update_or_create(
            question=code,
            defaults={"answer": given.answer, "comment": plain_text(given.comment)[:500]},
        )
        saved.append(row)
    audit.record(
        actor=actor,
        action="dfm.answered",
        obj=version,
        organization_id=version.design.organization_id,
        changes={code: a.answer for code, a in answers.items()},
    )
    return saved


# ---------------------------------------------------------------- forks and build reports


def _check_fork_license(original: Design, license: str) -> None:
    if original.license in RECIPROCAL_LICENSES and license != original.license:
        raise DesignError(
            _(
                "%(name)s is under %(license)s, a reciprocal licence: its derivatives must keep "
                "the same licence."
            )
            % {"name": original.name, "license": original.license},
            "license_reciprocal",
        )


@transaction.atomic
def fork_design(
    *,
    actor: Actor,
    version: DesignVersion,
    organization: Organization,
    name: str = "",
    license: str | None = None,
    is_demo: bool = False,
) -> Design:
    """A derivative design owned by ``organization``, keeping the attribution of the original."""
    require(actor, "design.edit", organization.pk)
    original = version.design
    if not DesignVersion.objects.visible_to(actor).filter(pk=version.pk).exists():
        raise DesignError(_("That design does not exist or is not shared with you."), "not_found")
    if version.state == VersionState.DRAFT:
        raise DesignError(_("Only a released version can be forked."), "fork_draft")
    if not original.is_open and original.organization_id != organization.pk:
        raise DesignError(
            _("%(name)s is not under an open licence: it cannot be forked.")
            % {"name": original.name},
            "license_not_open",
        )
    license = license or original.license
    _check_fork_license(original, license)
    fork = create_design(
        actor=actor,
        organization=organization,
        values={
            "name": name or _("%(name)s (derivative)") % {"name": original.name},
            "kind": original.kind,
            "summary": original.summary,
            "description": original.description,
            "license": license,
            "licensor": organization.name,
            "tags": original.tags,
        },
        is_demo=is_demo,
    )
    fork.forked_from = version
    fork.attribution = _("Derivative of %(name)s %(number)s by %(licensor)s (%(license)s)") % {
        "name": original.name,
        "number": version.number,
        "licensor": original.licensor,
        "license": original.license,
    }
    fork.save(update_fields=["forked_from", "attribution"])
    draft = fork.versions.get()
    for field in VERSION_FIELDS:
        if field != "change_note":
            setattr(draft, field, getattr(version, field))
    draft.change_note = fork.attribution
    draft.save()
    # Items belong to the forking organisation: copy the ones the BOM uses.
    item_map: dict[int, Item] = {}
    for line in version.bom_lines.select_related("item"):
        if line.item_id not in item_map:
            src = line.item
            item_map[line.item_id] = Item.objects.create(
                organization=organization,
                **{f: getattr(src, f) for f in ITEM_FIELDS},
            )
    copy_content(version, draft)
    for line in draft.bom_lines.all():
        line.item = item_map[line.item_id]
        line.save(update_fields=["item"])
    # Internal files of the original stay with their owner.
    if original.organization_id != organization.pk:
        draft.files.filter(is_internal=True).delete()
    audit.record(
        actor=actor,
        action="design.forked",
        obj=fork,
        organization_id=organization.pk,
        changes={"from_version": version.pk, "attribution": fork.attribution},
    )
    return fork


@transaction.atomic
def record_build(
    *,
    actor: Actor,
    organization: Organization,
    version: DesignVersion,
    built_on: date,
    site: Site | None = None,
    quantity: int = 1,
    deviations: str = "",
    notes: str = "",
    photos: Sequence[tuple[IO[bytes], str]] = (),
) -> BuildReport:
    """A maker's report of having built ``version`` ("made at site X, date, photos, deviations")."""
    require(actor, "build.report", organization.pk)
    if not DesignVersion.objects.visible_to(actor).filter(pk=version.pk).exists():
        raise DesignError(_("That design does not exist or is not shared with you."), "not_found")
    if version.state == VersionState.DRAFT and version.design.organization_id != organization.pk:
        raise DesignError(_("Report builds of released versions."), "build_of_draft")
    if site is not None and site.organization_id != organization.pk:
        raise DesignError(_("Choose one of your organisation's sites."), "foreign_site")
    if built_on > timezone.localdate():
        raise DesignError(_("The build date cannot be in the future."), "future_date")
    report = BuildReport(
        organization=organization,
        design=version.design,
        version=version,
        site=site,
        built_on=built_on,
        quantity=quantity,
        deviations=clean_html(deviations),
        notes=clean_html(notes),
        created_by=actor.user,
    )
    _save(report, exclude=["organization", "design", "version", "site"])
    blobs = [
        ingest(upload, filename, allowed_kinds={"png", "jpeg", "webp"})
        for upload, filename in photos
    ]
    report.photos.set(blobs)
    audit.record(
        actor=actor,
        action="build.reported",
        obj=report,
        organization_id=organization.pk,
        changes={"design": version.design_id, "version": version.number, "site": site and site.pk},
    )
    return report
