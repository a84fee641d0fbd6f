"""Reads of the designs library: the catalogue, BOM explosion, version comparison,
specification completeness (Annex B.1), DFM status (Annex A.1) and manufacturability."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reproduce.core.actor import Actor
from reproduce.designs.dfm import QUESTIONS, SECTIONS
from reproduce.designs.models import (
    UNIT_SYMBOLS,
    BomLine,
    BuildReport,
    Design,
    DesignFile,
    DesignVersion,
    FileRole,
    ItemKind,
    Operation,
    OperationKind,
    QcCriterion,
    SopStep,
    VersionState,
)
from reproduce.network.models import Machine, Site
from reproduce.network.selectors import CapabilityQuery, SiteMatch, find_capabilities

# ---------------------------------------------------------------- catalogue


def library(
    actor: Actor,
    *,
    kind: str = "",
    text: str = "",
    tag: str = "",
    organization_id: int | None = None,
) -> QuerySet[Design]:
    """Designs the actor may see, with their latest released number and reproductions."""
    latest = (
        DesignVersion.objects.unscoped("subquery under a visible design")
        .filter(design=OuterRef("pk"), state=VersionState.RELEASED)
        .order_by("-released_at", "-pk")
    )
    designs = (
        Design.objects.visible_to(actor)
        .select_related("organization")
        .annotate(
            latest_number=Subquery(latest.values("number")[:1]),
            builds=Count("build_reports", distinct=True),
            build_sites=Count("build_reports__site", distinct=True),
        )
    )
    if kind:
        designs = designs.filter(kind=kind)
    if tag:
        # Tags are a JSON list of strings; the quoted tag matches one whole element on both
        # SQLite and PostgreSQL (SQLite has no JSON containment lookup).
        designs = designs.filter(tags__icontains=f'"{tag.lower()}"')
    for word in text.split():
        designs = designs.filter(
            Q(name__icontains=word) | Q(summary__icontains=word) | Q(licensor__icontains=word)
        )
    if organization_id is not None:
        designs = designs.filter(organization_id=organization_id)
    return designs.order_by("name")


def cover_images(versions: Iterable[DesignVersion], actor: Actor) -> dict[int, DesignFile]:
    """The first visible image (or thumbnailed 3D model) of each version, in one query."""
    ids = [v.pk for v in versions]
    files = (
        DesignFile.objects.visible_to(actor)
        .filter(version_id__in=ids)
        .filter(Q(role=FileRole.IMAGE) | Q(blob__thumbnail__isnull=False))
        .select_related("blob")
        .order_by("version_id", "-role", "position")
    )
    covers: dict[int, DesignFile] = {}
    for f in files:
        current = covers.get(f.version_id)
        if current is None or (f.role == FileRole.IMAGE and current.role != FileRole.IMAGE):
            covers[f.version_id] = f
    return covers


def organization_designs(organization_id: int) -> QuerySet[Design]:
    """An organisation's own designs, with their latest version's number and state."""
    latest = (
        DesignVersion.objects.unscoped("subquery under the organisation's designs")
        .filter(design=OuterRef("pk"))
        .order_by("-created_at", "-pk")
    )
    return (
        Design.objects.owned_by(organization_id)
        .annotate(
            current_number=Subquery(latest.values("number")[:1]),
            current_state=Subquery(latest.values("state")[:1]),
            builds=Count("build_reports", distinct=True),
        )
        .order_by("name")
    )


def visible_versions(actor: Actor, design: Design) -> list[DesignVersion]:
    return list(
        DesignVersion.objects.visible_to(actor)
        .filter(design=design)
        .select_related("released_by", "created_by")
        .order_by("-created_at", "-pk")
    )


def default_version(actor: Actor, design: Design) -> DesignVersion | None:
    """What a visitor sees first: the latest released version, else (for the owner) the draft."""
    versions = visible_versions(actor, design)
    released = [v for v in versions if v.state == VersionState.RELEASED]
    if released:
        return max(released, key=lambda v: (v.released_at, v.pk))
    return versions[0] if versions else None


def version_content(actor: Actor, version: DesignVersion) -> DesignVersion:
    """The version with files, BOM, routing, steps and QC, in a fixed number of queries."""
    files = DesignFile.objects.visible_to(actor).select_related("blob", "blob__thumbnail")
    return (
        DesignVersion.objects.visible_to(actor)
        .select_related("design", "design__organization", "previous")
        .prefetch_related(
            Prefetch("files", queryset=files, to_attr="visible_files"),
            Prefetch(
                "bom_lines",
                queryset=BomLine.objects.unscoped("lines of a visible version").select_related(
                    "item", "item__material", "component_version__design"
                ),
            ),
            Prefetch(
                "operations",
                queryset=Operation.objects.unscoped("routing of a visible version")
                .select_related("process", "material")
                .prefetch_related(
                    Prefetch(
                        "steps",
                        queryset=SopStep.objects.unscoped(
                            "steps of a visible version"
                        ).select_related("image", "image__blob"),
                    ),
                    Prefetch(
                        "qc_criteria",
                        queryset=QcCriterion.objects.unscoped("checks of a visible version"),
                    ),
                ),
            ),
            Prefetch(
                "qc_criteria",
                queryset=QcCriterion.objects.unscoped("checks of a visible version").filter(
                    operation__isnull=True
                ),
                to_attr="final_criteria",
            ),
            "dfm_answers",
        )
        .get(pk=version.pk)
    )


def step_image_visible(step: SopStep, visible_file_ids: set[int]) -> bool:
    return step.image_id is not None and step.image_id in visible_file_ids


# ---------------------------------------------------------------- BOM explosion


@dataclass
class Need:
    """A total need of a leaf item (material or bought part) for the quantity asked."""

    item_id: int
    name: str
    kind: str
    unit: str
    quantity: Decimal
    specification: str = ""
    material: str = ""
    supplier: str = ""
    supplier_reference: str = ""
    used_in: set[str] = field(default_factory=set)

    @property
    def unit_symbol(self) -> str:
        return UNIT_SYMBOLS.get(self.unit, self.unit)


@dataclass
class Explosion:
    quantity: int
    needs: list[Need]
    components: list[tuple[DesignVersion, Decimal]]  # sub-designs and how many of each
    levels: int
    queries: int
    not_shared: list[int] = field(default_factory=list)  # component versions not opened


MAX_BOM_DEPTH = 25


def explode_bom(
    version: DesignVersion, quantity: int = 1, *, actor: Actor | None = None
) -> Explosion:
    """Total material and part needs to build ``quantity`` units: one query per BOM level
    (two when ``actor`` is given).

    Sub-designs are expanded through the released version each line pins; a sub-design used
    in several places is summed, never visited once per path. With ``actor``, a sub-design
    the actor may not see is counted as a component but not opened: its own BOM stays private.
    """
    frontier: dict[int, Decimal] = {version.pk: Decimal(quantity)}
    names: dict[int, str] = {version.pk: f"{version.design.name} {version.number}"}
    needs: dict[tuple[int, str], Need] = {}
    components: dict[int, tuple[DesignVersion, Decimal]] = {}
    closed: set[int] = set()
    levels = 0
    while frontier and levels < MAX_BOM_DEPTH:
        levels += 1
        lines = (
            BomLine.objects.unscoped("BOM explosion of a version the caller may see")
            .filter(version_id__in=list(frontier))
            .select_related("item", "item__material", "component_version__design")
        )
        next_frontier: dict[int, Decimal] = defaultdict(Decimal)
        for line in lines:
            multiplier = frontier[line.version_id]
            amount = line.quantity * multiplier
            parent = names[line.version_id]
            item = line.item
            if item.kind == ItemKind.DESIGN and line.component_version is not None:
                cv = line.component_version
                names[cv.pk] = f"{cv.design.name} {cv.number}"
                next_frontier[cv.pk] += amount
                prev = components.get(cv.pk)
                components[cv.pk] = (cv, (prev[1] if prev else Decimal(0)) + amount)
                continue
            key = (item.pk, line.unit)
            need = needs.get(key)
            if need is None:
                need = needs[key] = Need(
                    item_id=item.pk,
                    name=item.name,
                    kind=item.kind,
                    unit=line.unit,
                    quantity=Decimal(0),
                    specification=item.specification,
                    material=str(item.material) if item.material_id else "",
                    supplier=item.supplier,
                    supplier_reference=item.supplier_reference,
                )
            need.quantity += amount
            need.used_in.add(parent)
        if actor is not None and next_frontier:
            visible = set(
                DesignVersion.objects.visible_to(actor)
                .filter(pk__in=list(next_frontier))
                .values_list("pk", flat=True)
            )
            closed.update(pk for pk in next_frontier if pk not in visible)
            next_frontier = defaultdict(
                Decimal, {pk: q for pk, q in next_frontier.items() if pk in visible}
            )
        frontier = dict(next_frontier)
    ordered = sorted(needs.values(), key=lambda n: (n.kind, n.name.lower()))
    for n in ordered:
        n.quantity = normal(n.quantity)
    return Explosion(
        quantity=quantity,
        needs=ordered,
        components=[
            (v, normal(q)) for v, q in sorted(components.values(), key=lambda c: c[0].design.name)
        ],
        levels=levels,
        queries=levels,
        not_shared=sorted(closed),
    )


# ---------------------------------------------------------------- comparison


@dataclass
class Change:
    label: str
    status: str  # added | removed | changed
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)


@dataclass
class VersionDiff:
    old: DesignVersion
    new: DesignVersion
    bom: list[Change]
    routing: list[Change]
    quality: list[Change]
    files: list[Change]
    texts: list[tuple[str, str, str]]

    @property
    def is_empty(self) -> bool:
        return not (self.bom or self.routing or self.quality or self.files or self.texts)


def normal(value: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form (100, not 1E+2)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return format(normal(value), "f")
    return str(value)


def _compare(
    old: dict[Any, dict[str, Any]],
    new: dict[Any, dict[str, Any]],
    labels: dict[str, Promise | str],
) -> list[Change]:
    changes: list[Change] = []
    for key, row in new.items():
        if key not in old:
            changes.append(Change(label=row["_label"], status="added"))
            continue
        before = old[key]
        diffs = [
            (str(labels[f]), _fmt(before[f]), _fmt(row[f])) for f in labels if before[f] != row[f]
        ]
        if diffs:
            changes.append(Change(label=row["_label"], status="changed", fields=diffs))
    for key, row in old.items():
        if key not in new:
            changes.append(Change(label=row["_label"], status="removed"))
    return changes


def _bom_rows(version: DesignVersion) -> dict[Any, dict[str, Any]]:
    rows: dict[Any, dict[str, Any]] = {}
    for line in version.bom_lines.select_related("item", "component_version"):
        key = (line.item.kind, line.item.name.lower(), line.reference)
        rows[key] = {
            "_label": line.item.name + (f" ({line.reference})" if line.reference else ""),
            "quantity": line.quantity,
            "unit": UNIT_SYMBOLS.get(line.unit, line.unit),
            "component": line.component_version.number if line.component_version else None,
            "notes": line.notes,
        }
    return rows


def _routing_rows(version: DesignVersion) -> dict[Any, dict[str, Any]]:
    rows: dict[Any, dict[str, Any]] = {}
    ops = version.operations.select_related("process", "material").annotate(n_steps=Count("steps"))
    for position, op in enumerate(ops, start=1):
        rows[op.lineage] = {
            "_label": op.name,
            "position": position,
            "name": op.name,
            "process": str(op.process) if op.process_id else None,
            "material": str(op.material) if op.material_id else None,
            "tolerance": op.tolerance_class or None,
            "size": "×".join(str(v) for v in (op.min_x_mm, op.min_y_mm, op.min_z_mm) if v) or None,
            "setup": op.setup_minutes,
            "unit": op.unit_minutes,
            "parameters": op.parameters,
            "steps": op.n_steps,
        }
    return rows


def _quality_rows(version: DesignVersion) -> dict[Any, dict[str, Any]]:
    return {
        c.lineage: {
            "_label": c.characteristic,
            "nominal": c.nominal,
            "minus": c.tolerance_minus,
            "plus": c.tolerance_plus,
            "unit": c.unit,
            "method": c.method,
            "acceptance": c.acceptance,
        }
        for c in version.qc_criteria.all()
    }


def _file_rows(actor: Actor, version: DesignVersion) -> dict[Any, dict[str, Any]]:
    return {
        f.filename: {
            "_label": f.filename,
            "content": f.blob.sha256[:12],
            "role": f.get_role_display(),
        }
        for f in DesignFile.objects.visible_to(actor).filter(version=version).select_related("blob")
    }


def compare_versions(actor: Actor, old: DesignVersion, new: DesignVersion) -> VersionDiff:
    """What changed from ``old`` to ``new``: BOM, routing, QC checks, files and texts."""
    text_fields = [
        ("function", _("Function")),
        ("material_notes", _("Material specifications")),
        ("manufacturing_notes", _("Manufacturing requirements")),
        ("general_tolerance", _("General tolerance")),
        ("finishing_notes", _("Finishing requirements")),
        ("packaging_notes", _("Packaging and shipping")),
    ]
    texts = [
        (str(label), _fmt(getattr(old, f)), _fmt(getattr(new, f)))
        for f, label in text_fields
        if getattr(old, f) != getattr(new, f)
    ]
    return VersionDiff(
        old=old,
        new=new,
        bom=_compare(
            _bom_rows(old),
            _bom_rows(new),
            {
                "quantity": _("quantity"),
                "unit": _("unit"),
                "component": _("component version"),
                "notes": _("notes"),
            },
        ),
        routing=_compare(
            _routing_rows(old),
            _routing_rows(new),
            {
                "position": _("position"),
                "name": _("name"),
                "process": _("process"),
                "material": _("material"),
                "tolerance": _("tolerance class"),
                "size": _("part size (mm)"),
                "setup": _("setup time (min)"),
                "unit": _("time per unit (min)"),
                "parameters": _("critical parameters"),
                "steps": _("SOP steps"),
            },
        ),
        quality=_compare(
            _quality_rows(old),
            _quality_rows(new),
            {
                "nominal": _("nominal value"),
                "minus": _("lower tolerance"),
                "plus": _("upper tolerance"),
                "unit": _("unit"),
                "method": _("method"),
                "acceptance": _("acceptance criterion"),
            },
        ),
        files=_compare(
            _file_rows(actor, old),
            _file_rows(actor, new),
            {"content": _("content"), "role": _("role")},
        ),
        texts=texts,
    )


# ---------------------------------------------------------------- completeness (Annex B.1)


@dataclass
class Check:
    label: Promise | str
    ok: bool


@dataclass
class Element:
    code: str
    title: Promise | str
    checks: list[Check]
    not_applicable: bool = False

    @property
    def score(self) -> float:
        if self.not_applicable or not self.checks:
            return 1.0
        return sum(c.ok for c in self.checks) / len(self.checks)

    @property
    def complete(self) -> bool:
        return self.score == 1.0

    @property
    def missing(self) -> list[str]:
        if self.not_applicable:
            return []
        return [str(c.label) for c in self.checks if not c.ok]


@dataclass
class Completeness:
    elements: list[Element]

    @property
    def score(self) -> int:
        """Percent, each of the nine elements weighing the same."""
        return round(100 * sum(e.score for e in self.elements) / len(self.elements))

    @property
    def complete_count(self) -> int:
        return sum(e.complete for e in self.elements)


def completeness(version: DesignVersion, files: Iterable[DesignFile] | None = None) -> Completeness:
    """How completely the version documents the nine elements of Annex B.1, and what is missing."""
    design = version.design
    files = list(files if files is not None else version.files.select_related("blob"))
    kinds = {f.blob.kind for f in files}
    roles = {f.role for f in files}
    lines = list(version.bom_lines.select_related("item"))
    ops = list(version.operations.annotate(n_steps=Count("steps")))
    criteria = list(version.qc_criteria.all())
    items = [line.item for line in lines]
    material_items = [i for i in items if i.kind == ItemKind.MATERIAL]
    part_items = [i for i in items if i.kind == ItemKind.PART]
    fabrication = [o for o in ops if o.kind == OperationKind.FABRICATION]

    def ops_of(kind: str) -> list[Operation]:
        return [o for o in ops if o.kind == kind]

    elements = [
        Element(
            "identification",
            _("Unique identification"),
            [
                Check(_("Name of the product or component"), bool(design.name)),
                Check(_("Version number"), bool(version.number)),
                Check(_("Summary of what it is"), bool(design.summary)),
                Check(_("Function described"), bool(version.function or design.description)),
                Check(_("Licence and licensor"), bool(design.license and design.licensor)),
            ],
        ),
        Element(
            "cad",
            _("Design files (CAD)"),
            [
                Check(
                    _("3D model in an exchange format (STEP, STL or 3MF)"),
                    version.model_3d_not_applicable or bool(kinds & {"step", "stl", "threemf"}),
                ),
                Check(
                    _("2D drawing or cutting file (PDF, DXF or SVG)"),
                    bool(kinds & {"pdf", "dxf", "svg"}),
                ),
                Check(
                    _("Source files in their native format"),
                    FileRole.CAD_NATIVE in roles or FileRole.ARCHIVE in roles,
                ),
            ],
        ),
        Element(
            "bom",
            _("Bill of materials"),
            [
                Check(_("At least one BOM line"), bool(lines)),
                Check(
                    _("Every bought part has a supplier reference"),
                    all(i.supplier_reference or i.supplier for i in part_items),
                ),
                Check(
                    _("Every line has a quantity and a unit"),
                    all(line.quantity and line.unit for line in lines) and bool(lines),
                ),
            ],
        ),
        Element(
            "materials",
            _("Material specifications"),
            [
                Check(
                    _("Every material names its type in the taxonomy"),
                    bool(material_items) and all(i.material_id for i in material_items),
                ),
                Check(
                    _("Every material has a specification (grade, standard, treatment)"),
                    bool(material_items) and all(i.specification for i in material_items),
                ),
                Check(
                    _("Material notes (standards, approved suppliers)"),
                    bool(version.material_notes),
                ),
            ],
        ),
        Element(
            "manufacturing",
            _("Manufacturing requirements"),
            [
                Check(_("At least one fabrication operation"), bool(fabrication)),
                Check(
                    _("Every fabrication operation names its process"),
                    bool(fabrication) and all(o.process_id for o in fabrication),
                ),
                Check(
                    _("Tolerances given (general class or per operation)"),
                    bool(version.general_tolerance)
                    or (bool(fabrication) and all(o.tolerance_class for o in fabrication)),
                ),
                Check(
                    _("Critical parameters written for each fabrication operation"),
                    bool(fabrication) and all(o.parameters for o in fabrication),
                ),
            ],
        ),
        Element(
            "assembly",
            _("Assembly requirements"),
            [
                Check(_("An assembly operation"), bool(ops_of(OperationKind.ASSEMBLY))),
                Check(
                    _("Illustrated assembly instructions (SOP steps)"),
                    bool(ops_of(OperationKind.ASSEMBLY))
                    and all(o.n_steps for o in ops_of(OperationKind.ASSEMBLY)),  # type: ignore[attr-defined]
                ),
            ],
            not_applicable=version.assembly_not_applicable,
        ),
        Element(
            "finishing",
            _("Finishing requirements"),
            [
                Check(
                    _("Surface finish and treatments described"),
                    bool(version.finishing_notes or ops_of(OperationKind.FINISHING)),
                ),
            ],
            not_applicable=version.finishing_not_applicable,
        ),
        Element(
            "quality",
            _("Quality control criteria"),
            [
                Check(_("At least one check with its acceptance rule"), bool(criteria)),
                Check(
                    _("A final inspection before delivery"),
                    any(c.operation_id is None for c in criteria),
                ),
                Check(
                    _("Checks during fabrication"),
                    any(c.operation_id is not None for c in criteria),
                ),
            ],
        ),
        Element(
            "packaging",
            _("Packaging and shipping"),
            [
                Check(
                    _("Packaging, labelling and shipping instructions"),
                    bool(version.packaging_notes or ops_of(OperationKind.PACKAGING)),
                ),
            ],
        ),
    ]
    return Completeness(elements=elements)


# ---------------------------------------------------------------- DFM checklist (Annex A.1)


@dataclass
class DfmRow:
    code: str
    text: Promise | str
    answer: str
    answer_label: str
    comment: str


@dataclass
class DfmSection:
    code: str
    title: Promise | str
    rows: list[DfmRow]


def dfm_checklist(version: DesignVersion) -> tuple[list[DfmSection], int, int]:
    """The checklist with the version's answers; returns (sections, answered, total)."""
    from reproduce.designs.models import DfmAnswer

    answers = {a.question: a for a in version.dfm_answers.all()}
    labels = dict(DfmAnswer.Answer.choices)
    sections: dict[str, DfmSection] = {
        code: DfmSection(code=code, title=title, rows=[]) for code, title in SECTIONS.items()
    }
    for q in QUESTIONS:
        a = answers.get(q.code)
        sections[q.section].rows.append(
            DfmRow(
                code=q.code,
                text=q.text,
                answer=a.answer if a else "",
                answer_label=str(labels[a.answer]) if a else "",
                comment=a.comment if a else "",
            )
        )
    return list(sections.values()), len(answers), len(QUESTIONS)


# ---------------------------------------------------------------- manufacturability


@dataclass
class OperationCapability:
    operation: Operation
    matches: list[SiteMatch]
    checked: bool  # False for manual operations without a process: any workshop can do them
    requirements: list[str]

    @property
    def possible(self) -> bool:
        return not self.checked or bool(self.matches)


def _machine_ok(machine: Machine, op: Operation) -> bool:
    if op.min_power_w:
        power = max(machine.laser_power_w or 0, machine.spindle_power_w or 0)
        if power < op.min_power_w:
            return False
    too_thin = machine.max_thickness_mm is not None and machine.max_thickness_mm < (
        op.thickness_mm or 0
    )
    return not (op.thickness_mm and too_thin)


def requirements_of(op: Operation, general_tolerance: str = "") -> list[str]:
    out: list[str] = []
    if op.process_id:
        out.append(str(op.process))
    if op.material_id:
        out.append(str(op.material))
    size = [v for v in (op.min_x_mm, op.min_y_mm, op.min_z_mm) if v]
    if size:
        out.append("×".join(str(v) for v in size) + " mm")
    tol = op.tolerance_class or general_tolerance
    if tol:
        out.append(str(_("ISO 2768-%(cls)s")) % {"cls": tol})
    if op.thickness_mm:
        out.append(str(_("%(mm)s mm thick")) % {"mm": _fmt(op.thickness_mm)})
    if op.min_power_w:
        out.append(str(_("≥ %(w)s W")) % {"w": op.min_power_w})
    return out


def manufacturability(actor: Actor, version: DesignVersion) -> list[OperationCapability]:
    """For each operation, the sites and machines of the network (as the actor sees them)
    that can do it — process, material, envelope, tolerance, thickness, power."""
    result = []
    for op in version.operations.select_related("process", "material"):
        # The general tolerance (ISO 2768) is about machined or cut geometry: it applies to
        # fabrication operations, not to sewing, assembly or finishing.
        general = version.general_tolerance if op.kind == OperationKind.FABRICATION else ""
        reqs = requirements_of(op, general)
        if not op.process_id:
            result.append(OperationCapability(op, [], checked=False, requirements=reqs))
            continue
        assert op.process is not None
        query = CapabilityQuery(
            process=op.process.code,
            material=op.material.code if op.material_id and op.material else "",
            min_x_mm=op.min_x_mm,
            min_y_mm=op.min_y_mm,
            min_z_mm=op.min_z_mm,
            tolerance=op.tolerance_class or general,
            limit=50,
        )
        matches = []
        for match in find_capabilities(actor, query):
            if op.min_power_w or op.thickness_mm:
                match.machines = [m for m in match.machines if _machine_ok(m, op)]
                if not match.machines:
                    continue
            matches.append(match)
        result.append(OperationCapability(op, matches, checked=True, requirements=reqs))
    return result


# ---------------------------------------------------------------- reproductions


def reproductions(actor: Actor, design: Design) -> list[BuildReport]:
    return list(
        BuildReport.objects.visible_to(actor)
        .filter(design=design)
        .select_related("organization", "site", "site__commune", "version")
        .prefetch_related("photos")
    )


def reproduction_sites(reports: Iterable[BuildReport]) -> list[Site]:
    seen: dict[int, Site] = {}
    for r in reports:
        if r.site_id and r.site is not None:
            seen.setdefault(r.site_id, r.site)
    return list(seen.values())


def forks_of(actor: Actor, design: Design) -> QuerySet[Design]:
    return (
        Design.objects.visible_to(actor)
        .filter(forked_from__design=design)
        .select_related("organization")
    )


def has_draft(design: Design) -> bool:
    return design.versions.filter(state=VersionState.DRAFT).exists()


def designs_using(actor: Actor, design: Design) -> QuerySet[Design]:
    """Designs whose BOM uses this one (where-used)."""
    lines = BomLine.objects.unscoped("where-used, restricted to visible designs below").filter(
        component_version__design=design, version__design=OuterRef("pk")
    )
    return Design.objects.visible_to(actor).filter(Exists(lines))
