"""API schemas of the designs library (the REST API in ``designs/api.py``).

Version numbers are strings ("1.0", "2.1.3"); quantities, tolerances and times are decimals,
written as strings in JSON so that no precision is lost; units are UN/ECE Recommendation 20
codes ("C62" piece, "MTR" metre, "KGM" kilogram…). Processes and materials are named by their
taxonomy ``code`` (see ``GET /api/v1/processes`` and ``GET /api/v1/materials``).

The functions at the end turn models into these shapes (as plain dicts the schemas validate).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.urls import reverse
from ninja import Field, Schema

from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor
from reproduce.core.permissions import has_perm
from reproduce.designs import selectors
from reproduce.designs.models import (
    UNIT_SYMBOLS,
    BomLine,
    BuildReport,
    Design,
    DesignFile,
    DesignShare,
    DesignVersion,
    Item,
    Operation,
    QcCriterion,
    SopStep,
    VersionState,
)

Quantity = Decimal

# ---------------------------------------------------------------- references


class OrganizationRef(Schema):
    slug: str
    name: str


class ForkRef(Schema):
    design_id: int
    name: str
    version: str = Field(description="Number of the version this design derives from")


class DesignRef(Schema):
    id: int
    slug: str
    name: str
    organization: OrganizationRef


class VersionRef(Schema):
    id: int
    design_id: int
    name: str = Field(description="Name of the design")
    number: str


# ---------------------------------------------------------------- designs


class DesignOut(Schema):
    id: int
    slug: str
    name: str
    kind: str = Field(description="product, component, machine or tool")
    summary: str
    license: str = Field(description="SPDX identifier")
    licensor: str
    is_open: bool = Field(description="Under an open licence (may be forked)")
    visibility: str = Field(description="public, network, named or private")
    organization: OrganizationRef
    latest_version: str | None = Field(description="Number of the latest released version")
    reproductions: int = Field(description="How many build reports the design has")
    tags: list[str]
    forked_from: ForkRef | None = Field(
        description="The version this design derives from, when you may see it"
    )
    attribution: str
    repository_url: str
    is_demo: bool
    updated_at: datetime


class VersionSummaryOut(Schema):
    id: int
    number: str
    state: str = Field(description="draft, released or obsolete")
    change_note: str
    previous_id: int | None
    created_at: datetime
    released_at: datetime | None


class DesignDetailOut(DesignOut):
    description: str = Field(description="Sanitised HTML")
    created_at: datetime
    default_version_id: int | None = Field(
        description="What to show first: the latest released version, else your draft"
    )
    versions: list[VersionSummaryOut] = Field(description="The versions you may see, newest first")
    shared_with: list[OrganizationRef] = Field(
        description="Organisations the design is shared with (only shown to its owner)"
    )


class DesignIn(Schema):
    organization: str = Field(
        "", description="Slug of one of your organisations (default: your active organisation)"
    )
    name: str = Field(min_length=1, max_length=150)
    kind: Literal["product", "component", "machine", "tool"]
    summary: str = Field("", max_length=300)
    description: str = ""
    license: str = Field("CERN-OHL-S-2.0", description="SPDX identifier of the licence")
    licensor: str = Field("", description="Default: the organisation's name")
    tags: list[str] = []
    repository_url: str = ""
    number: str = Field("0.1", description="Number of the first (draft) version")
    visibility: Literal["public", "network", "private"] = "private"


class DesignPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    kind: Literal["product", "component", "machine", "tool"] | None = None
    summary: str | None = Field(None, max_length=300)
    description: str | None = None
    license: str | None = None
    licensor: str | None = None
    tags: list[str] | None = None
    repository_url: str | None = None


class VisibilityIn(Schema):
    visibility: Literal["public", "network", "named", "private"]
    organizations: list[str] = Field(
        [], description="Slugs of the organisations the design is shared with by name"
    )


class DraftIn(Schema):
    change_note: str = Field(
        min_length=1, description="What will change since the latest version, and why"
    )
    number: str | None = Field(None, description="Default: the next minor number")


class ForkIn(Schema):
    organization: str = Field(
        "", description="Slug of one of your organisations (default: your active organisation)"
    )
    name: str = Field("", max_length=150, description="Default: “<name> (derivative)”")
    license: str | None = Field(
        None, description="SPDX identifier; a reciprocal licence must be kept"
    )


# ---------------------------------------------------------------- build reports


class SiteRef(Schema):
    slug: str
    name: str


class PhotoOut(Schema):
    sha256: str
    media_type: str
    size: int
    url: str


class BuildOut(Schema):
    id: int
    design_id: int
    version: VersionRef
    organization: OrganizationRef
    site: SiteRef | None
    built_on: date
    quantity: int
    deviations: str = Field(description="Sanitised HTML")
    notes: str = Field(description="Sanitised HTML")
    photos: list[PhotoOut]
    created_at: datetime


class BuildForm(Schema):
    organization: str = Field(
        "", description="Slug of one of your organisations (default: your active organisation)"
    )
    version_id: int | None = Field(None, description="Default: the latest released version")
    built_on: date
    site: str = Field("", description="Slug of one of your organisation's sites")
    quantity: int = Field(1, ge=1, le=1_000_000)
    deviations: str = ""
    notes: str = ""


# ---------------------------------------------------------------- OKH import


class OkhImportOut(Schema):
    design: DesignDetailOut
    version_id: int = Field(description="The draft version created from the manifest")
    flavour: str = Field(description="v1 (okh.yml), v2 (okh.toml) or losh")
    mapped: list[str] = Field(description="Manifest keys that became part of the design")
    unmapped: list[str] = Field(description="Manifest keys (and sub-keys) that were not kept")
    warnings: list[str]


# ---------------------------------------------------------------- version content


class DesignFileOut(Schema):
    id: int
    version_id: int
    filename: str
    role: str
    description: str
    is_internal: bool
    kind: str = Field(description="Type detected from the content (never from the name)")
    media_type: str
    size: int
    sha256: str
    position: int
    content_url: str
    created_at: datetime


class DesignFilePatch(Schema):
    role: str | None = None
    description: str | None = Field(None, max_length=300)
    is_internal: bool | None = None


class ItemOut(Schema):
    id: int
    kind: str = Field(description="material, part or design")
    name: str
    material: str | None = Field(description="Material taxonomy code")
    design_id: int | None
    specification: str
    supplier: str
    supplier_reference: str
    default_unit: str = Field(description="UN/ECE Rec. 20 unit code")
    is_recycled: bool


class ItemIn(Schema):
    kind: Literal["material", "part", "design"]
    name: str = Field("", max_length=200, description="Default for a design: its name")
    material: str | None = Field(None, description="Material taxonomy code")
    design_id: int | None = Field(None, description="For kind=design: the library design")
    specification: str = Field("", max_length=300)
    supplier: str = Field("", max_length=200)
    supplier_reference: str = Field("", max_length=100)
    default_unit: str = Field("C62", description="UN/ECE Rec. 20 unit code")
    is_recycled: bool = False


class ItemCreateIn(ItemIn):
    organization: str = Field(
        "", description="Slug of one of your organisations (default: your active organisation)"
    )


class BomLineOut(Schema):
    id: int
    position: int
    item: ItemOut
    quantity: Quantity
    unit: str = Field(description="UN/ECE Rec. 20 unit code")
    unit_symbol: str
    reference: str
    notes: str
    component_version: VersionRef | None = Field(
        description="For a sub-design: the released version it is built with"
    )


class BomLineIn(Schema):
    item_id: int | None = Field(None, description="An item of the design's organisation")
    item: ItemIn | None = Field(None, description="Or a new item, created with the line")
    quantity: Quantity = Field(gt=0, max_digits=12, decimal_places=4)
    unit: str | None = Field(None, description="UN/ECE Rec. 20 code; default: the item's unit")
    component_version_id: int | None = Field(
        None, description="For a sub-design: a released version (default: the latest one)"
    )
    reference: str = Field("", max_length=40)
    notes: str = Field("", max_length=300)


class BomLinePatch(Schema):
    quantity: Quantity | None = Field(None, gt=0, max_digits=12, decimal_places=4)
    unit: str | None = None
    component_version_id: int | None = None
    reference: str | None = Field(None, max_length=40)
    notes: str | None = Field(None, max_length=300)


class SopStepOut(Schema):
    id: int
    position: int
    text: str = Field(description="Sanitised HTML")
    caution: str
    image_file_id: int | None


class SopStepIn(Schema):
    text: str = Field(min_length=1)
    caution: str = Field("", max_length=300)
    image_file_id: int | None = Field(None, description="An image attached to the same version")


class SopStepPatch(Schema):
    text: str | None = None
    caution: str | None = Field(None, max_length=300)
    image_file_id: int | None = None


class QcCriterionOut(Schema):
    id: int
    operation_id: int | None = Field(description="Empty: a check of the final inspection")
    position: int
    characteristic: str
    method: str
    nominal: Decimal | None
    tolerance_minus: Decimal | None
    tolerance_plus: Decimal | None
    unit: str
    acceptance: str


class QcCriterionIn(Schema):
    operation_id: int | None = Field(None, description="Empty: the final inspection")
    characteristic: str = Field(min_length=1, max_length=200)
    method: str = Field("", max_length=200)
    nominal: Decimal | None = None
    tolerance_minus: Decimal | None = None
    tolerance_plus: Decimal | None = None
    unit: str = Field("", max_length=20)
    acceptance: str = Field("", max_length=300)


class QcCriterionPatch(Schema):
    operation_id: int | None = None
    characteristic: str | None = Field(None, min_length=1, max_length=200)
    method: str | None = Field(None, max_length=200)
    nominal: Decimal | None = None
    tolerance_minus: Decimal | None = None
    tolerance_plus: Decimal | None = None
    unit: str | None = Field(None, max_length=20)
    acceptance: str | None = Field(None, max_length=300)


class OperationOut(Schema):
    id: int
    position: int
    name: str
    kind: str = Field(description="fabrication, assembly, finishing, inspection or packaging")
    process: str | None = Field(description="Process taxonomy code")
    material: str | None = Field(description="Material taxonomy code")
    min_x_mm: int | None
    min_y_mm: int | None
    min_z_mm: int | None
    thickness_mm: Decimal | None
    tolerance_class: str = Field(description="ISO 2768-1 class: f, m, c or v")
    min_power_w: int | None
    parameters: str
    setup_minutes: Decimal
    unit_minutes: Decimal
    needs_trained_operator: bool
    steps: list[SopStepOut]
    qc: list[QcCriterionOut]


class OperationIn(Schema):
    name: str = Field(min_length=1, max_length=150)
    kind: Literal["fabrication", "assembly", "finishing", "inspection", "packaging"] = "fabrication"
    process: str | None = Field(None, description="Process taxonomy code")
    material: str | None = Field(None, description="Material taxonomy code")
    min_x_mm: int | None = Field(None, ge=1)
    min_y_mm: int | None = Field(None, ge=1)
    min_z_mm: int | None = Field(None, ge=1)
    thickness_mm: Decimal | None = Field(None, gt=0)
    tolerance_class: Literal["", "f", "m", "c", "v"] = ""
    min_power_w: int | None = Field(None, ge=1)
    parameters: str = ""
    setup_minutes: Decimal = Field(Decimal(0), ge=0)
    unit_minutes: Decimal = Field(Decimal(0), ge=0)
    needs_trained_operator: bool = False


class OperationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    kind: Literal["fabrication", "assembly", "finishing", "inspection", "packaging"] | None = None
    process: str | None = None
    material: str | None = None
    min_x_mm: int | None = Field(None, ge=1)
    min_y_mm: int | None = Field(None, ge=1)
    min_z_mm: int | None = Field(None, ge=1)
    thickness_mm: Decimal | None = Field(None, gt=0)
    tolerance_class: Literal["", "f", "m", "c", "v"] | None = None
    min_power_w: int | None = Field(None, ge=1)
    parameters: str | None = None
    setup_minutes: Decimal | None = Field(None, ge=0)
    unit_minutes: Decimal | None = Field(None, ge=0)
    needs_trained_operator: bool | None = None


class OrderIn(Schema):
    ids: list[int] = Field(description="Every operation id of the version, in the new order")


class DfmAnswerOut(Schema):
    question: str
    answer: str = Field(description="yes, no or na")
    comment: str


class VersionOut(Schema):
    id: int
    design: DesignRef
    number: str
    state: str = Field(description="draft, released or obsolete")
    is_editable: bool = Field(description="A draft you may change")
    previous: VersionRef | None
    change_note: str
    function: str
    material_notes: str
    manufacturing_notes: str
    general_tolerance: str
    finishing_notes: str
    packaging_notes: str
    assembly_not_applicable: bool
    finishing_not_applicable: bool
    configurator: dict[str, Any] = Field(
        description="Order options of a configurable design (see the ordering guide)"
    )
    created_at: datetime
    released_at: datetime | None
    files: list[DesignFileOut] = Field(description="The files you may see")
    bom: list[BomLineOut]
    operations: list[OperationOut]
    final_qc: list[QcCriterionOut]
    dfm: list[DfmAnswerOut]


class VersionPatch(Schema):
    number: str | None = None
    change_note: str | None = None
    function: str | None = None
    material_notes: str | None = None
    manufacturing_notes: str | None = None
    general_tolerance: Literal["", "f", "m", "c", "v"] | None = None
    finishing_notes: str | None = None
    packaging_notes: str | None = None
    assembly_not_applicable: bool | None = None
    finishing_not_applicable: bool | None = None
    configurator: dict[str, Any] | None = None


class ReleaseIn(Schema):
    number: str | None = Field(None, description="Final number (default: the draft's number)")


# ---------------------------------------------------------------- analyses


class ChangeOut(Schema):
    label: str
    status: str = Field(description="added, removed or changed")
    fields: list[tuple[str, str, str]] = Field(description="(field, old value, new value)")


class CompareFilters(Schema):
    with_: int | None = Field(
        None, alias="with", description="Version to compare with (default: the previous one)"
    )


class CompareOut(Schema):
    old: VersionRef | None = Field(description="Empty when there is nothing to compare with")
    new: VersionRef
    is_empty: bool
    bom: list[ChangeOut]
    routing: list[ChangeOut]
    quality: list[ChangeOut]
    files: list[ChangeOut]
    texts: list[tuple[str, str, str]] = Field(description="(text, old, new)")


class ExplosionFilters(Schema):
    quantity: int = Field(1, ge=1, le=1_000_000, description="How many units to build")


class NeedOut(Schema):
    item_id: int
    name: str
    kind: str = Field(description="material or part")
    quantity: Quantity
    unit: str = Field(description="UN/ECE Rec. 20 unit code")
    unit_symbol: str
    specification: str
    material: str
    supplier: str
    supplier_reference: str
    used_in: list[str] = Field(description="The (sub-)assemblies that need it")


class ComponentOut(Schema):
    version: VersionRef
    quantity: Quantity = Field(description="How many are needed in all")


class ExplosionOut(Schema):
    quantity: int
    levels: int
    needs: list[NeedOut]
    components: list[ComponentOut] = Field(description="Sub-assemblies and how many of each")


class CheckOut(Schema):
    label: str
    ok: bool


class ElementOut(Schema):
    code: str
    title: str
    score: float = Field(description="0 to 1")
    complete: bool
    not_applicable: bool
    missing: list[str]
    checks: list[CheckOut]


class CompletenessOut(Schema):
    score: int = Field(description="Percent, each element weighing the same")
    complete_count: int
    elements: list[ElementOut]


class DfmRowOut(Schema):
    code: str
    text: str
    answer: str = Field(description="yes, no, na, or empty when not answered")
    answer_label: str
    comment: str


class DfmSectionOut(Schema):
    code: str
    title: str
    rows: list[DfmRowOut]


class DfmOut(Schema):
    answered: int
    total: int
    sections: list[DfmSectionOut]


class DfmAnswerIn(Schema):
    question: str = Field(description="Question code, e.g. materials.available")
    answer: Literal["yes", "no", "na"]
    comment: str = Field("", max_length=500)


class DfmIn(Schema):
    answers: list[DfmAnswerIn]


class MachineRef(Schema):
    id: int
    name: str
    make: str
    model: str
    envelope_x_mm: int | None
    envelope_y_mm: int | None
    envelope_z_mm: int | None
    tolerance_class: str


class CandidateOut(Schema):
    site: SiteRef
    organization: OrganizationRef
    score: float
    reasons: list[str]
    machines: list[MachineRef]


class OperationCapabilityOut(Schema):
    operation_id: int
    name: str
    requirements: list[str]
    checked: bool = Field(description="False for manual operations any workshop can do")
    possible: bool
    sites: list[CandidateOut]


# ---------------------------------------------------------------- from models to schemas


def api_url(name: str, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def org_ref(org: Organization) -> dict[str, Any]:
    return {"slug": org.slug, "name": org.name}


def version_ref(version: DesignVersion) -> dict[str, Any]:
    return {
        "id": version.pk,
        "design_id": version.design_id,
        "name": version.design.name,
        "number": version.number,
    }


def visible_fork_sources(actor: Actor, designs: list[Design]) -> set[int]:
    ids = {d.forked_from.design_id for d in designs if d.forked_from is not None}
    if not ids:
        return set()
    return set(Design.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))


def design_out(design: Design, visible_sources: set[int]) -> dict[str, Any]:
    source = design.forked_from
    forked_from = None
    if source is not None and source.design_id in visible_sources:
        forked_from = {
            "design_id": source.design_id,
            "name": source.design.name,
            "version": source.number,
        }
    return {
        "id": design.pk,
        "slug": design.slug,
        "name": design.name,
        "kind": design.kind,
        "summary": design.summary,
        "license": design.license,
        "licensor": design.licensor,
        "is_open": design.is_open,
        "visibility": design.visibility,
        "organization": org_ref(design.organization),
        "latest_version": getattr(design, "latest_number", None),
        "reproductions": getattr(design, "builds", 0),
        "tags": list(design.tags or []),
        "forked_from": forked_from,
        "attribution": design.attribution,
        "repository_url": design.repository_url,
        "is_demo": design.is_demo,
        "updated_at": design.updated_at,
    }


def design_detail(actor: Actor, design: Design) -> dict[str, Any]:
    versions = selectors.visible_versions(actor, design)
    released = [v for v in versions if v.state == VersionState.RELEASED]
    default = max(released, key=lambda v: (v.released_at, v.pk)) if released else None
    default = default or (versions[0] if versions else None)
    shared: list[dict[str, Any]] = []
    if design.organization_id in actor.organization_ids:
        shares = DesignShare.objects.owned_by(design.organization_id).filter(design=design)
        shared = [org_ref(s.organization) for s in shares.select_related("organization")]
    return {
        **design_out(design, visible_fork_sources(actor, [design])),
        "description": design.description,
        "created_at": design.created_at,
        "default_version_id": default.pk if default else None,
        "versions": [
            {
                "id": v.pk,
                "number": v.number,
                "state": v.state,
                "change_note": v.change_note,
                "previous_id": v.previous_id,
                "created_at": v.created_at,
                "released_at": v.released_at,
            }
            for v in versions
        ],
        "shared_with": shared,
    }


def file_out(f: DesignFile) -> dict[str, Any]:
    return {
        "id": f.pk,
        "version_id": f.version_id,
        "filename": f.filename,
        "role": f.role,
        "description": f.description,
        "is_internal": f.is_internal,
        "kind": f.blob.kind,
        "media_type": f.blob.media_type,
        "size": f.blob.size,
        "sha256": f.blob.sha256,
        "position": f.position,
        "content_url": api_url("design_file_content", file_id=f.pk),
        "created_at": f.created_at,
    }


def item_out(item: Item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "name": item.name,
        "material": item.material.code if item.material is not None else None,
        "design_id": item.design_id,
        "specification": item.specification,
        "supplier": item.supplier,
        "supplier_reference": item.supplier_reference,
        "default_unit": item.default_unit,
        "is_recycled": item.is_recycled,
    }


def bom_line_out(line: BomLine) -> dict[str, Any]:
    component = line.component_version
    return {
        "id": line.pk,
        "position": line.position,
        "item": item_out(line.item),
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_symbol": UNIT_SYMBOLS.get(line.unit, line.unit),
        "reference": line.reference,
        "notes": line.notes,
        "component_version": version_ref(component) if component is not None else None,
    }


def step_out(step: SopStep, visible_file_ids: set[int] | None = None) -> dict[str, Any]:
    image = step.image_id
    if visible_file_ids is not None and not selectors.step_image_visible(step, visible_file_ids):
        image = None
    return {
        "id": step.pk,
        "position": step.position,
        "text": step.text,
        "caution": step.caution,
        "image_file_id": image,
    }


def criterion_out(c: QcCriterion) -> dict[str, Any]:
    return {
        "id": c.pk,
        "operation_id": c.operation_id,
        "position": c.position,
        "characteristic": c.characteristic,
        "method": c.method,
        "nominal": c.nominal,
        "tolerance_minus": c.tolerance_minus,
        "tolerance_plus": c.tolerance_plus,
        "unit": c.unit,
        "acceptance": c.acceptance,
    }


def operation_out(op: Operation, visible_file_ids: set[int] | None = None) -> dict[str, Any]:
    return {
        "id": op.pk,
        "position": op.position,
        "name": op.name,
        "kind": op.kind,
        "process": op.process.code if op.process is not None else None,
        "material": op.material.code if op.material is not None else None,
        "min_x_mm": op.min_x_mm,
        "min_y_mm": op.min_y_mm,
        "min_z_mm": op.min_z_mm,
        "thickness_mm": op.thickness_mm,
        "tolerance_class": op.tolerance_class,
        "min_power_w": op.min_power_w,
        "parameters": op.parameters,
        "setup_minutes": op.setup_minutes,
        "unit_minutes": op.unit_minutes,
        "needs_trained_operator": op.needs_trained_operator,
        "steps": [step_out(s, visible_file_ids) for s in op.steps.all()],
        "qc": [criterion_out(c) for c in op.qc_criteria.all()],
    }


def version_out(actor: Actor, version: DesignVersion) -> dict[str, Any]:
    v = selectors.version_content(actor, version)
    files: list[DesignFile] = v.visible_files  # type: ignore[attr-defined]
    visible_ids = {f.pk for f in files}
    design = v.design
    return {
        "id": v.pk,
        "design": {
            "id": design.pk,
            "slug": design.slug,
            "name": design.name,
            "organization": org_ref(design.organization),
        },
        "number": v.number,
        "state": v.state,
        "is_editable": v.is_editable and has_perm(actor, "design.edit", design.organization_id),
        "previous": version_ref(v.previous) if v.previous is not None else None,
        "change_note": v.change_note,
        "function": v.function,
        "material_notes": v.material_notes,
        "manufacturing_notes": v.manufacturing_notes,
        "general_tolerance": v.general_tolerance,
        "finishing_notes": v.finishing_notes,
        "packaging_notes": v.packaging_notes,
        "assembly_not_applicable": v.assembly_not_applicable,
        "finishing_not_applicable": v.finishing_not_applicable,
        "configurator": v.configurator or {},
        "created_at": v.created_at,
        "released_at": v.released_at,
        "files": [file_out(f) for f in files],
        "bom": [bom_line_out(line) for line in v.bom_lines.all()],
        "operations": [operation_out(op, visible_ids) for op in v.operations.all()],
        "final_qc": [criterion_out(c) for c in v.final_criteria],  # type: ignore[attr-defined]
        "dfm": [
            {"question": a.question, "answer": a.answer, "comment": a.comment}
            for a in v.dfm_answers.all()
        ],
    }


def build_out(report: BuildReport) -> dict[str, Any]:
    photo_url = api_url("build_photo", report_id=report.pk)
    return {
        "id": report.pk,
        "design_id": report.design_id,
        "version": version_ref(report.version),
        "organization": org_ref(report.organization),
        "site": {"slug": report.site.slug, "name": report.site.name} if report.site else None,
        "built_on": report.built_on,
        "quantity": report.quantity,
        "deviations": report.deviations,
        "notes": report.notes,
        "photos": [
            {
                "sha256": b.sha256,
                "media_type": b.media_type,
                "size": b.size,
                "url": f"{photo_url}?sha256={b.sha256}",
            }
            for b in report.photos.all()
        ],
        "created_at": report.created_at,
    }
