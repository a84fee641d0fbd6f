"""A design version as files to take away: the download package and the instructions PDF.

The package is a zip holding ``README.txt`` (what is inside, licence, attribution),
``okh.toml`` (the Open Know-How manifest, pointing at the package's own members),
``bom.csv``, ``instructions.pdf`` and ``files/<name>`` for every file the actor may see. Its
members come in a fixed order with fixed timestamps, so two builds of the same version list
the same entries.

The instructions PDF is rendered by WeasyPrint from ``designs/pdf/instructions.html`` in the
active language. It works offline: pictures are embedded from the stored blobs as ``data:``
URIs and every other address is refused, so user content can never make the renderer fetch
anything.
"""

from __future__ import annotations

import base64
import io
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from defusedcsv import csv as defusedcsv
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from reproduce.core.actor import Actor
from reproduce.core.sanitize import clean_html
from reproduce.designs import okh
from reproduce.designs.models import (
    UNIT_SYMBOLS,
    DesignFile,
    DesignVersion,
    FileRole,
    License,
    QcCriterion,
    VersionState,
)
from reproduce.designs.selectors import dfm_checklist, requirements_of, version_content
from reproduce.files.models import Blob
from reproduce.files.services import open_blob, safe_filename

# The same columns as the API's bom.csv (machine-readable: codes, dot decimals).
BOM_COLUMNS = [
    "position",
    "item",
    "kind",
    "quantity",
    "unit",
    "unit_symbol",
    "material",
    "specification",
    "supplier",
    "supplier_reference",
    "reference",
    "notes",
    "component_version",
]
FILES_DIR = "files/"


def _normal(value: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form (100, not 1E+2)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _number(value: Decimal | None) -> str:
    """A decimal as the active language writes numbers (2,5 in French)."""
    return "" if value is None else formats.number_format(_normal(value), use_l10n=True)


# ---------------------------------------------------------------- bill of materials


def bom_rows(version: DesignVersion) -> list[list[Any]]:
    """One row per BOM line; a sub-design names the component version the line pins."""
    lines = version.bom_lines.select_related(
        "item", "item__material", "component_version__design"
    ).order_by("position", "pk")
    rows: list[list[Any]] = []
    for line in lines:
        item, component = line.item, line.component_version
        rows.append(
            [
                line.position,
                item.name,
                item.kind,
                format(_normal(line.quantity), "f"),
                line.unit,
                UNIT_SYMBOLS.get(line.unit, line.unit),
                item.material.code if item.material is not None else "",
                item.specification,
                item.supplier,
                item.supplier_reference,
                line.reference,
                line.notes,
                f"{component.design.name} {component.number}" if component else "",
            ]
        )
    return rows


def bom_csv(version: DesignVersion) -> str:
    """The bill of materials as CSV; cells that a spreadsheet would run as a formula
    (``=``, ``+``, ``-``, ``@``…) are neutralised by defusedcsv."""
    buffer = io.StringIO()
    writer = defusedcsv.writer(buffer, lineterminator="\r\n")
    writer.writerow(BOM_COLUMNS)
    writer.writerows(bom_rows(version))
    return buffer.getvalue()


# ---------------------------------------------------------------- instructions PDF


@dataclass
class StepView:
    number: int
    html: str
    caution: str
    image: str = ""  # data: URI
    image_alt: str = ""


@dataclass
class CheckView:
    characteristic: str
    value: str
    limits: str
    method: str
    acceptance: str


@dataclass
class OperationView:
    number: int
    name: str
    kind: str
    process: str
    material: str
    requirements: list[str]
    setup: str
    per_unit: str
    parameters: str
    trained_operator: bool
    steps: list[StepView] = field(default_factory=list)
    checks: list[CheckView] = field(default_factory=list)


def _data_uri(blob: Blob) -> str:
    with open_blob(blob) as handle:
        encoded = base64.b64encode(handle.read()).decode("ascii")
    return f"data:{blob.media_type};base64,{encoded}"


def _check(c: QcCriterion) -> CheckView:
    value = limits = ""
    if c.nominal is not None:
        minus = abs(c.tolerance_minus or Decimal(0))
        plus = abs(c.tolerance_plus or Decimal(0))
        if minus == plus:
            value = f"{_number(c.nominal)} ± {_number(plus)} {c.unit}".strip()
        else:
            value = f"{_number(c.nominal)} −{_number(minus)} / +{_number(plus)} {c.unit}".strip()
        if c.limits is not None:
            low, high = c.limits
            limits = f"{_number(low)} – {_number(high)} {c.unit}".strip()
    return CheckView(
        characteristic=c.characteristic,
        value=value,
        limits=limits,
        method=c.method,
        acceptance=c.acceptance,
    )


def _operations(version: DesignVersion, visible_ids: set[int]) -> list[OperationView]:
    views = []
    for number, op in enumerate(version.operations.all(), start=1):
        view = OperationView(
            number=number,
            name=op.name,
            kind=op.get_kind_display(),
            process=str(op.process) if op.process_id else "",
            material=str(op.material) if op.material_id else "",
            requirements=requirements_of(op, version.general_tolerance),
            setup=_number(op.setup_minutes) if op.setup_minutes else "",
            per_unit=_number(op.unit_minutes) if op.unit_minutes else "",
            parameters=op.parameters,
            trained_operator=op.needs_trained_operator,
        )
        for n, step in enumerate(op.steps.all(), start=1):
            shown = step.image if step.image_id in visible_ids else None
            view.steps.append(
                StepView(
                    number=n,
                    html=clean_html(step.text),
                    caution=step.caution,
                    image=_data_uri(shown.blob) if shown and shown.blob.is_image else "",
                    image_alt=(shown.description or shown.filename) if shown else "",
                )
            )
        view.checks = [_check(c) for c in op.qc_criteria.all()]
        views.append(view)
    return views


def _cover(files: list[DesignFile]) -> str:
    for f in files:
        if f.role == FileRole.IMAGE and f.blob.is_image:
            return _data_uri(f.blob)
    for f in files:
        thumbnail = f.blob.thumbnail
        if thumbnail is not None and thumbnail.is_image:
            return _data_uri(thumbnail)
    return ""


def _bom_view(version: DesignVersion) -> list[dict[str, str]]:
    lines = version.bom_lines.select_related("item", "item__material", "component_version")
    return [
        {
            "item": line.item.name,
            "kind": line.item.get_kind_display(),
            "quantity": _number(line.quantity),
            "unit": UNIT_SYMBOLS.get(line.unit, line.unit),
            "specification": line.item.specification,
            "material": str(line.item.material) if line.item.material_id else "",
            "supplier": " ".join(
                p for p in (line.item.supplier, line.item.supplier_reference) if p
            ),
            "component": line.component_version.number if line.component_version else "",
            "reference": line.reference,
            "notes": line.notes,
        }
        for line in lines.order_by("position", "pk")
    ]


def _version_date(version: DesignVersion) -> datetime:
    return version.released_at or version.created_at


def _context(version: DesignVersion) -> dict[str, Any]:
    design = version.design
    files: list[DesignFile] = list(getattr(version, "visible_files", []))
    sections, answered, total = dfm_checklist(version)
    texts = {
        key: clean_html(getattr(version, key))
        for key in (
            "function",
            "material_notes",
            "manufacturing_notes",
            "finishing_notes",
            "packaging_notes",
        )
    }
    return {
        "design": design,
        "version": version,
        "date": timezone.localtime(_version_date(version)),
        "is_draft": version.state == VersionState.DRAFT,
        "license_label": License(design.license).label
        if design.license in License.values
        else design.license,
        "cover": _cover(files),
        "texts": texts,
        "description": clean_html(design.description),
        "bom": _bom_view(version),
        "operations": _operations(version, {f.pk for f in files}),
        "final_checks": [_check(c) for c in getattr(version, "final_criteria", [])],
        "dfm_sections": sections,
        "dfm_answered": answered,
        "dfm_total": total,
    }


def _offline_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Only ``data:`` URIs: the renderer never reaches the network or the disk."""
    if not url.startswith("data:"):
        raise ValueError("only embedded data: URIs are allowed in the instructions PDF")
    from weasyprint.urls import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)  # type: ignore[no-any-return]


def render_instructions(version: DesignVersion) -> bytes:
    """The PDF of a version already loaded by :func:`version_content`."""
    from weasyprint import HTML  # heavy import: only when a PDF is made

    html = render_to_string("designs/pdf/instructions.html", _context(version))
    pdf = HTML(string=html, base_url=settings.SITE_URL, url_fetcher=_offline_fetcher).write_pdf()
    assert pdf is not None
    return pdf


def instructions_pdf(actor: Actor, version: DesignVersion) -> bytes:
    """The manufacturing instructions of ``version`` as ``actor`` may see them (A4 PDF)."""
    return render_instructions(version_content(actor, version))


# ---------------------------------------------------------------- package


def package_filename(version: DesignVersion) -> str:
    """``<design-slug>-<version>.zip``, e.g. ``tabouret-1.2.zip``."""
    return safe_filename(f"{version.design.slug}-{version.number}.zip")


def _member_names(files: list[DesignFile]) -> dict[int, str]:
    """A safe, unique ``files/<name>`` per file: base name only, never a path to climb."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for f in files:
        name = safe_filename(f.filename)
        if name in {".", ".."}:
            name = f"file-{f.pk}"
        stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
        candidate, n = name, 2
        while candidate.lower() in taken:
            candidate, n = f"{stem}-{n}{suffix}", n + 1
        taken.add(candidate.lower())
        names[f.pk] = FILES_DIR + candidate
    return names


def readme_text(version: DesignVersion, files: list[DesignFile], names: dict[int, str]) -> str:
    design = version.design
    date = formats.date_format(timezone.localtime(_version_date(version)), "DATE_FORMAT")
    license_label = License(design.license).label if design.license in License.values else ""
    lines = [
        _("%(name)s – version %(number)s (%(state)s, %(date)s)")
        % {
            "name": design.name,
            "number": version.number,
            "state": version.get_state_display().lower(),
            "date": date,
        },
        "",
    ]
    if design.summary:
        lines += [design.summary, ""]
    lines += [
        _("Licence: %(label)s (%(spdx)s)") % {"label": license_label, "spdx": design.license},
        _("Licensor: %(licensor)s") % {"licensor": design.licensor},
        _("Owner: %(organization)s") % {"organization": design.organization.name},
    ]
    if design.attribution:
        lines.append(_("Attribution: %(text)s") % {"text": design.attribution})
    if design.repository_url:
        lines.append(_("Source: %(url)s") % {"url": design.repository_url})
    if design.license == License.PROPRIETARY:
        lines += ["", _("All rights reserved: do not share these files without permission.")]
    lines += [
        "",
        _("This package holds:"),
        "  README.txt        " + _("this file"),
        "  okh.toml          " + _("the Open Know-How manifest (OKH v2.4) of the version"),
        "  bom.csv           " + _("the bill of materials"),
        "  instructions.pdf  "
        + _(
            "the specification, bill of materials, routing with its steps, quality checks "
            "and DFM checklist"
        ),
    ]
    if files:
        lines.append("  files/            " + _("the design files:"))
        for f in files:
            name = names[f.pk].removeprefix(FILES_DIR)
            lines.append(f"    {name}  ({f.get_role_display()}, {f.blob.human_size})")
    lines += ["", _("Made with ReProduce, %(date)s.") % {"date": date}]
    return "\n".join(lines) + "\n"


def _zip_time(version: DesignVersion) -> tuple[int, int, int, int, int, int]:
    moment = timezone.localtime(_version_date(version))
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, 0)


def _write(archive: zipfile.ZipFile, name: str, stamp: tuple[int, ...], data: bytes | Blob) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    if isinstance(data, bytes):
        archive.writestr(info, data)
        return
    with open_blob(data) as source, archive.open(info, "w") as target:
        shutil.copyfileobj(source, target, 1024 * 1024)


def build_package(actor: Actor, version: DesignVersion) -> bytes:
    """The zip of ``version`` as ``actor`` may see it (their organisation's internal files
    included for its own members, never for anyone else)."""
    content = version_content(actor, version)
    files = sorted(content.visible_files, key=lambda f: (f.filename.lower(), f.pk))  # type: ignore[attr-defined]
    names = _member_names(files)
    manifest = okh.build_manifest(content, files, okh.Links(okh.site_url(), members=names))
    stamp = _zip_time(content)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(archive, "README.txt", stamp, readme_text(content, files, names).encode("utf-8"))
        _write(archive, "okh.toml", stamp, okh.to_toml(manifest).encode("utf-8"))
        _write(archive, "bom.csv", stamp, bom_csv(content).encode("utf-8-sig"))
        _write(archive, "instructions.pdf", stamp, render_instructions(content))
        for f in files:
            _write(archive, names[f.pk], stamp, f.blob)
    return buffer.getvalue()
