"""Open Know-How (OKH) manifests of the designs library: export, validation and import.

**Export** describes one design version as an OKH v2.4 manifest (``okh.toml``), the format of
the Internet of Production Alliance that the OKH-LOSH crawler indexes. Links point at the
public routes of this installation (design page, file downloads, bill of materials,
instructions PDF), or, inside a download package, at the package's own members. Only files
that are not marked internal are listed. Every manifest we write validates against
``standards/okh/okh.schema.json``.

**Import** reads an ``okh.toml`` (OKH v2.x, or OKH-LOSH v1.0: told apart by ``okhv``) or an
``okh.yml``/``okh.yaml`` (OKH v1), validates it against the matching official schema first,
and creates a private draft design in one transaction: an invalid file writes nothing. The
product works offline, so nothing a manifest links to is fetched: document links are noted
in the description, files are listed as not imported. The report says which keys were
mapped and which were not.

Export (OKH key ← ReProduce): ``name`` ← Design.name; ``repo`` ← repository_url, else the
design's public page; ``version`` ← number; ``license`` ← SPDX id; ``licensor`` ← licensor;
``organization`` ← owner's name; ``function`` ← version function, else summary, description or
name; ``documentation-language`` = "fr"; ``readme`` ← design page (``README.txt`` in a
package); ``release`` and ``manufacturing-instructions`` ← the package (its ``instructions.pdf``
inside one); ``bom`` ← ``bom.csv``; ``fork-of`` ← the original's repository or public page;
``keywords`` ← tags; ``tsdc``/``printing-process`` ← the routing's processes;
``technology-``/``documentation-readiness-level`` ← build reports and completeness (released,
open designs only); ``image``/``source``/``export``/``user-manual`` ← files by role; ``part``
← each exchange-format model or drawing (STL, 3MF, STEP, DXF), with the native file of the
same name as ``source`` and the technology and material when only one operation fits.

Import (OKH key → ReProduce): ``name``/``title`` → name; ``function`` → summary and version
function; v1 ``description`` → description and summary, ``intended-use`` → version function;
``license`` (v1: ``license.hardware``, else documentation, else software) → licence when the
library offers it, else "all rights reserved" with a warning; ``licensor`` → licensor;
``version`` → the draft's number when it reads N.N[.N], else 0.1 with a warning;
``repo``/``project-link``/``documentation-home`` → repository_url; ``keywords`` → tags;
``fork-of``/``forkOf``/``derivative-of``/``variant-of`` → attribution (and the description);
``organization`` and document links (``bom``, ``manufacturing-instructions``, ``readme``…) →
the description; ``part``/``sub-parts`` → BOM lines of bought parts, 1 piece each. Everything
else is reported as unmapped.

**Schemas** are copies of the official files (see ``standards/okh/README.md``). The v1 and
LOSH schemas write the BCP-47 ``language`` pattern with ECMAScript named groups
``(?<name>…)``, which Python's ``re`` cannot compile. We adapt the pattern in memory, at load
time, by rewriting each ``(?<name>`` to Python's ``(?P<name>`` — the same groups with the
same meaning, rather than dropping them to ``(?:``. ECMAScript also lets the same name appear
in two alternatives (``privateUse`` does); ``re`` refuses a repeated name, so a repeat gets a
numeric suffix (``privateUse_2``). No pattern refers back to a group by name, so what matches
is unchanged. The files on disk stay byte-identical to upstream.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import tomli_w
import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from reproduce.accounts.models import Organization
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.core.sanitize import plain_text
from reproduce.designs import services
from reproduce.designs.models import (
    Design,
    DesignFile,
    DesignKind,
    DesignVersion,
    FileRole,
    ItemKind,
    License,
    Operation,
    OperationKind,
    Unit,
    VersionState,
    Visibility,
    version_number_validator,
)
from reproduce.designs.selectors import completeness

Flavour = Literal["v1", "losh", "v2"]

OKH_VERSION = "2.4"
LOSH_OKHV = "OKH-LOSHv1.0"
SCHEMA_DIR = Path(__file__).resolve().parent / "standards" / "okh"
SCHEMA_FILES: dict[str, str] = {
    "v2": "okh.schema.json",
    "losh": "okh-losh.schema.json",
    "v1": "okh-v1.schema.json",
}
FLAVOUR_NAMES: dict[str, str] = {"v2": "OKH v2", "losh": "OKH-LOSH v1.0", "v1": "OKH v1"}
SCHEMA_TITLES: dict[str, str] = {
    "v2": "OKH v2 (okh.schema.json)",
    "losh": "OKH-LOSH v1.0 (okh-losh.schema.json)",
    "v1": "OKH v1 (okh-v1.schema.json)",
}
MAX_MANIFEST_BYTES = 1024 * 1024  # a manifest is a few kB; refuse anything absurd early
MAX_ERRORS = 100
MAX_PARTS = 200
DOCUMENTATION_LANGUAGE = "fr"

# Public routes the manifest links to (served by the pages and designs/api.py).
DESIGN_PAGE = "/fr/designs/{slug}/"
FILE_CONTENT = "/api/v1/design-files/{id}/content"
BOM_CSV = "/api/v1/versions/{id}/bom.csv"
# The instructions PDF has no route of its own: on the web it travels in the package.
PACKAGE_ZIP = "/api/v1/versions/{id}/package.zip"

# Technology-specific Documentation Criteria (DIN SPEC 3105-1) of our processes. Only the
# identifiers the OKH schema itself lists (ASM MEC CIR PCB WEL 3DP LAS CNC), and only where
# the process is clearly that technology: engraving, turning, sewing… have none, so none is
# claimed. A child process not listed inherits its parent's.
TSDC_BY_PROCESS: dict[str, str] = {
    "laser-cutting": "LAS",
    "cnc-milling": "CNC",
    "cnc-routing": "CNC",
    "pcb-milling": "PCB",
    "additive-manufacturing": "3DP",
    "welding": "WEL",
    "assembly": "ASM",
}
PRINTING_PROCESS = {"fdm-printing": "FDM", "sla-printing": "SLA", "sls-printing": "SLS"}
# Which technologies may have produced a part from a file of this kind.
PART_KINDS: dict[str, set[str]] = {
    "stl": {"3DP"},
    "threemf": {"3DP"},
    "step": {"3DP", "CNC"},
    "dxf": {"LAS", "CNC"},
}

_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9_]*)>")
_BLOCK_END = re.compile(r"</(?:p|li|h3|h4|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_EMAIL_IN_BRACKETS = re.compile(r"<([^<>\s@]+@[^<>\s]+)>")
_VERSION_PREFIX = re.compile(r"^[vV](?=\d)")
_url_validator = URLValidator(schemes=["http", "https"])


# ---------------------------------------------------------------- schemas


def python_pattern(pattern: str) -> str:
    """An ECMAScript regular expression with named groups, as Python's ``re`` writes them.

    ``(?<name>`` becomes ``(?P<name>``; a name used again (legal in ECMAScript across
    alternatives) gets a numeric suffix. Escapes and character classes are skipped, and
    look-behinds ``(?<=``/``(?<!`` are left alone. Back-references by name (``\\k<name>``)
    are refused rather than guessed at: no official schema uses them.
    """
    if r"\k<" in pattern:
        raise ValueError("named back-references are not supported")
    seen: Counter[str] = Counter()
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        match = None if in_class or char != "(" else _NAMED_GROUP.match(pattern, i)
        if match:
            name = match[1]
            seen[name] += 1
            out.append(f"(?P<{name}>" if seen[name] == 1 else f"(?P<{name}_{seen[name]}>")
            i = match.end()
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def _adapt_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: python_pattern(v) if k == "pattern" and isinstance(v, str) else _adapt_patterns(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_adapt_patterns(v) for v in node]
    return node


def schema_path(flavour: Flavour) -> Path:
    """The official schema file (unchanged: serve this one)."""
    return SCHEMA_DIR / SCHEMA_FILES[flavour]


@lru_cache(maxsize=3)
def _schema(flavour: str) -> dict[str, Any]:
    raw = json.loads((SCHEMA_DIR / SCHEMA_FILES[flavour]).read_text(encoding="utf-8"))
    return _adapt_patterns(raw)  # type: ignore[no-any-return]


def load_schema(flavour: Flavour) -> dict[str, Any]:
    """The schema as we validate with it (patterns adapted for Python; a fresh copy)."""
    return copy.deepcopy(_schema(flavour))


@lru_cache(maxsize=3)
def _validator(flavour: str) -> Validator:
    schema = _schema(flavour)
    cls = validator_for(schema)  # Draft 7 for all three: their "$schema" says so
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _pointer(error: SchemaError) -> str:
    return "/" + "/".join(str(p) for p in error.absolute_path)


def _describe(error: SchemaError) -> str:
    # anyOf/oneOf only say "not valid under any of the given schemas": the closest
    # alternative tells the reader what was expected.
    shown = best_match(error.context) if error.context else error
    message = shown.message
    if shown.validator == "pattern" and len(str(shown.validator_value)) > 60:
        # The BCP-47 pattern runs to 600 characters (and shows our Python spelling).
        message = f"{shown.instance!r} does not have the form the schema's pattern requires"
    if len(message) > 240:
        message = message[:239] + "…"
    return f"{_pointer(shown)}: {message}"


def validate_okh(data: dict[str, Any], flavour: Flavour) -> list[str]:
    """Human-readable schema errors of ``data`` (``"/path: message"``), empty when valid."""
    validator = _validator(flavour)
    errors = sorted(
        validator.iter_errors(data),
        key=lambda e: ([str(p) for p in e.absolute_path], e.message),
    )
    return [_describe(e) for e in errors[:MAX_ERRORS]]


# ---------------------------------------------------------------- export


def _text(html: str) -> str:
    """Sanitised HTML as plain text, paragraphs kept apart."""
    text = plain_text(_BLOCK_END.sub("\n", html or ""))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass(frozen=True)
class Links:
    """Where the manifest points: the public web routes, or a package's own members."""

    base_url: str
    members: dict[int, str] | None = None  # file pk → path in the package

    def web(self, path: str) -> str:
        return self.base_url + path

    def page(self, design: Design) -> str:
        return self.web(DESIGN_PAGE.format(slug=design.slug))

    def file(self, f: DesignFile) -> str:
        if self.members is not None:
            return self.members[f.pk]
        return self.web(FILE_CONTENT.format(id=f.pk))

    def bom(self, version: DesignVersion) -> str:
        return "bom.csv" if self.members is not None else self.web(BOM_CSV.format(id=version.pk))

    def instructions(self, version: DesignVersion) -> str:
        if self.members is not None:
            return "instructions.pdf"
        return self.web(PACKAGE_ZIP.format(id=version.pk))

    def release(self, version: DesignVersion) -> str:
        return self.web(PACKAGE_ZIP.format(id=version.pk))

    def readme(self, design: Design) -> str:
        return "README.txt" if self.members is not None else self.page(design)


def site_url(base_url: str = "") -> str:
    """The site's address without a trailing slash (``settings.SITE_URL`` by default)."""
    return (base_url or settings.SITE_URL).rstrip("/")


def _exported_files(version: DesignVersion) -> list[DesignFile]:
    return list(
        version.files.filter(is_internal=False).select_related("blob").order_by("position", "pk")
    )


def _tsdc_of(op: Operation) -> str | None:
    if op.process is not None:
        for process in (op.process, op.process.parent):
            if process is not None and process.code in TSDC_BY_PROCESS:
                return TSDC_BY_PROCESS[process.code]
    return "ASM" if op.kind == OperationKind.ASSEMBLY else None


def _function(version: DesignVersion) -> str:
    design = version.design
    return _text(version.function) or design.summary or _text(design.description) or design.name


def _fork_of(design: Design, links: Links) -> str | None:
    """The original's address, when a reader can follow it (never a private page)."""
    original = design.forked_from.design if design.forked_from else None
    if original is None:
        return None
    if original.repository_url:
        return original.repository_url
    return links.page(original) if original.visibility == Visibility.PUBLIC else None


def _images(files: list[DesignFile], links: Links) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = []
    for f in files:
        if f.role == FileRole.IMAGE and f.blob.is_image:
            image: dict[str, Any] = {
                "location": links.file(f),
                "depicts": f.description or f.filename,
            }
            if not images:
                image["slots"] = ["photo-thing-main"]  # a slot is filled at most once
            images.append(image)
    return images


def _parts(files: list[DesignFile], ops: list[Operation], links: Links) -> list[dict[str, Any]]:
    """One part per 3D model or cutting file; technology and material only if unambiguous."""
    natives = {
        PurePosixPath(f.filename).stem.lower(): f for f in files if f.role == FileRole.CAD_NATIVE
    }
    parts = []
    for f in files:
        if f.blob.kind not in PART_KINDS or f.role not in (FileRole.CAD_EXCHANGE, FileRole.DRAWING):
            continue
        stem = PurePosixPath(f.filename).stem
        part: dict[str, Any] = {"name": stem, "export": links.file(f)}
        native = natives.get(stem.lower())
        if native is not None:
            part["source"] = links.file(native)
        matching = [o for o in ops if _tsdc_of(o) in PART_KINDS[f.blob.kind]]
        technologies = {_tsdc_of(o) for o in matching}
        if len(technologies) == 1:
            part["tsdc"] = technologies.pop()
        materials = {o.material.label_en or o.material.label_fr for o in matching if o.material}
        if len(matching) == 1 and len(materials) == 1:
            part["material"] = materials.pop()
        parts.append(part)
    return parts


def _readiness(version: DesignVersion, files: list[DesignFile]) -> dict[str, str]:
    """OTRL/ODRL only where the data says so; nothing is claimed for drafts or closed designs.

    OTRL-4 ("full functional prototype built and tested") needs a build report of this very
    version. ODRL-1 is an open licence on a released version; ODRL-2 adds native (editable)
    sources; ODRL-3 needs all nine elements of the specification (Annex B.1) complete.
    """
    if version.state == VersionState.DRAFT or not version.design.is_open:
        return {}
    levels: dict[str, str] = {}
    if version.build_reports.exists():
        levels["technology-readiness-level"] = "OTRL-4"
    if completeness(version, files).score == 100:
        levels["documentation-readiness-level"] = "ODRL-3"
    elif any(f.role == FileRole.CAD_NATIVE for f in files):
        levels["documentation-readiness-level"] = "ODRL-2"
    else:
        levels["documentation-readiness-level"] = "ODRL-1"
    return levels


def _processes(ops: list[Operation]) -> dict[str, Any]:
    tsdc = sorted({t for t in map(_tsdc_of, ops) if t})
    out: dict[str, Any] = {"tsdc": tsdc} if tsdc else {}
    printing = {
        PRINTING_PROCESS[o.process.code]
        for o in ops
        if o.process and o.process.code in PRINTING_PROCESS
    }
    if "3DP" in tsdc and len(printing) == 1:
        out["printing-process"] = printing.pop()
    return out


def build_manifest(version: DesignVersion, files: list[DesignFile], links: Links) -> dict[str, Any]:
    """The OKH v2.4 manifest of ``version`` listing ``files`` (the caller chose them)."""
    design = version.design
    ops = list(version.operations.select_related("process__parent", "material"))
    # The schema wants a web address; an ftp:// repository cannot stand in for the page.
    own = design.repository_url
    repo = own if own.startswith(("https://", "http://")) else links.page(design)
    data: dict[str, Any] = {
        "okhv": OKH_VERSION,
        "name": design.name,
        "repo": repo,
        "version": version.number,
        "license": design.license,
        "licensor": design.licensor or design.organization.name,
        "organization": design.organization.name,
        "function": _function(version),
        "documentation-language": DOCUMENTATION_LANGUAGE,
        "readme": links.readme(design),
    }
    if version.state != VersionState.DRAFT:
        data["release"] = links.release(version)
    fork_of = _fork_of(design, links)
    if fork_of:
        data["fork-of"] = fork_of
    if design.tags:
        data["keywords"] = list(design.tags)
    data.update(_readiness(version, files))
    data.update(_processes(ops))
    if version.bom_lines.exists():
        data["bom"] = links.bom(version)
    data["manufacturing-instructions"] = links.instructions(version)
    manuals = [links.file(f) for f in files if f.role == FileRole.INSTRUCTIONS]
    if manuals:
        data["user-manual"] = manuals
    sources = [links.file(f) for f in files if f.role == FileRole.CAD_NATIVE]
    if sources:
        data["source"] = sources
    exports = [links.file(f) for f in files if f.role in (FileRole.CAD_EXCHANGE, FileRole.DRAWING)]
    if exports:
        data["export"] = exports
    images = _images(files, links)
    if images:
        data["image"] = images
    parts = _parts(files, ops, links)
    if parts:
        data["part"] = parts
    return data


def export_okh(version: DesignVersion, *, base_url: str = "") -> dict[str, Any]:
    """The OKH v2.4 manifest of a version, linking to this installation's public routes.

    ``base_url`` is the site's address (default ``settings.SITE_URL``). Internal files are
    never listed; which versions may be exported is the caller's decision.
    """
    return build_manifest(version, _exported_files(version), Links(site_url(base_url)))


def to_toml(manifest: dict[str, Any]) -> str:
    header = "# Open Know-How manifest (OKH v{v}), written by ReProduce\n\n".format(
        v=manifest.get("okhv", OKH_VERSION)
    )
    return header + tomli_w.dumps(manifest)


def export_okh_toml(version: DesignVersion, *, base_url: str = "") -> str:
    """:func:`export_okh` as the text of an ``okh.toml`` file."""
    return to_toml(export_okh(version, base_url=base_url))


# ---------------------------------------------------------------- reading a file


class OkhInvalid(services.DesignError):
    """A manifest refused by its schema; ``errors`` lists every problem found."""

    def __init__(self, flavour: Flavour, errors: list[str]) -> None:
        first = "; ".join(errors[:3]) + ("; …" if len(errors) > 3 else "")
        super().__init__(
            _("The file does not follow the %(schema)s schema (%(count)d problems): %(errors)s")
            % {"schema": SCHEMA_TITLES[flavour], "count": len(errors), "errors": first},
            "okh_invalid",
        )
        self.flavour = flavour
        self.errors = errors


def _unreadable(message: str) -> services.DesignError:
    return services.DesignError(message, "okh_unreadable")


class _NoAliasLoader(yaml.SafeLoader):
    """safe_load without anchors and aliases: a few aliases can make a tiny file expand to
    billions of nodes once walked (the "billion laughs"); a manifest never needs them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not accepted", event.start_mark
            )
        return super().compose_node(parent, index)


def _json_like(value: Any) -> Any:
    """What TOML and YAML parse into dates becomes the ISO text JSON Schema expects."""
    if isinstance(value, dict):
        return {str(k): _json_like(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_like(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _parse_toml(text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _unreadable(_("The file is not valid TOML: %(error)s") % {"error": exc}) from exc
    except RecursionError as exc:
        raise _unreadable(_("The file is nested too deeply.")) from exc


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (
            _(" (line %(line)d, column %(column)d)")
            % {"line": mark.line + 1, "column": mark.column + 1}
            if mark
            else ""
        )
        raise _unreadable(
            _("The file is not valid YAML%(where)s: %(error)s")
            % {"where": where, "error": exc.problem or exc}
        ) from exc
    except yaml.YAMLError as exc:
        raise _unreadable(_("The file is not valid YAML: %(error)s") % {"error": exc}) from exc
    except RecursionError as exc:
        raise _unreadable(_("The file is nested too deeply.")) from exc


def read_manifest(filename: str, data: bytes) -> tuple[dict[str, Any], Flavour]:
    """The manifest in ``data`` and its flavour; DesignError ``okh_unreadable`` otherwise.

    ``.yml``/``.yaml`` is OKH v1; ``.toml`` is OKH v2, or OKH-LOSH v1.0 when ``okhv`` says
    so. Another name is read as TOML, then as YAML.
    """
    if len(data) > MAX_MANIFEST_BYTES:
        raise _unreadable(_("The file is larger than 1 MB: it cannot be an OKH manifest."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _unreadable(_("The file is not UTF-8 text.")) from exc
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix in (".yml", ".yaml"):
        parsed, flavour = _parse_yaml(text), "v1"
    elif suffix == ".toml":
        parsed, flavour = _parse_toml(text), "v2"
    else:
        try:
            parsed, flavour = _parse_toml(text), "v2"
        except services.DesignError:
            parsed, flavour = _parse_yaml(text), "v1"
    if not isinstance(parsed, dict):
        raise OkhInvalid(
            "v1" if flavour == "v1" else "v2",
            ["/: " + _("the manifest must be a set of keys and values")],
        )
    manifest = _json_like(parsed)
    if flavour == "v2" and manifest.get("okhv") == LOSH_OKHV:
        return manifest, "losh"
    return manifest, "v1" if flavour == "v1" else "v2"


# ---------------------------------------------------------------- import


@dataclass
class OkhImport:
    """What an import created and how the manifest's keys were used."""

    design: Design
    version: DesignVersion
    flavour: str
    mapped: list[str] = field(default_factory=list)  # manifest keys stored somewhere
    unmapped: list[str] = field(default_factory=list)  # keys (and sub-keys) left out
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Part:
    name: str
    specification: str = ""
    notes: str = ""


# Manifest keys whose value is a document ReProduce does not fetch: noted as links.
V2_LINK_KEYS = (
    "readme",
    "bom",
    "manufacturing-instructions",
    "user-manual",
    "contribution-guide",
    "release",
    "attestation",
    "publication",
)
V1_LINK_KEYS = (
    "documentation-home",
    "archive-download",
    "bom",
    "design-files",
    "manufacturing-files",
    "making-instructions",
    "operating-instructions",
    "maintenance-instructions",
    "quality-instructions",
    "risk-assessment",
    "health-safety-notice",
    "disposal-instructions",
    "tool-list",
    "schematics",
)
FILE_KEYS = ("image", "source", "export", "auxiliary")
LICENSE_KINDS = ("hardware", "documentation", "software")


def _link_labels() -> dict[str, str]:
    return {
        "repo": _("Repository"),
        "readme": _("Read-me"),
        "bom": _("Bill of materials"),
        "manufacturing-instructions": _("Manufacturing instructions"),
        "user-manual": _("User manual"),
        "contribution-guide": _("Contribution guide"),
        "release": _("Release"),
        "attestation": _("Attestation"),
        "publication": _("Publication"),
        "documentation-home": _("Documentation"),
        "archive-download": _("Archive of all files"),
        "design-files": _("Design files"),
        "manufacturing-files": _("Manufacturing files"),
        "making-instructions": _("Making instructions"),
        "operating-instructions": _("Operating instructions"),
        "maintenance-instructions": _("Maintenance instructions"),
        "quality-instructions": _("Quality instructions"),
        "risk-assessment": _("Risk assessment"),
        "health-safety-notice": _("Health and safety notice"),
        "disposal-instructions": _("Disposal instructions"),
        "tool-list": _("Tool list"),
        "schematics": _("Schematics"),
    }


def _is_web_url(value: str) -> bool:
    try:
        _url_validator(value)
    except ValidationError:
        return False
    return True


def _targets(value: Any) -> list[tuple[str, str]]:
    """(title, path or URL) pairs of a string, a list, or v1 documents ``[{path, title}]``."""
    if isinstance(value, str):
        return [("", value.strip())] if value.strip() else []
    if isinstance(value, dict):
        target = str(value.get("path") or value.get("web") or value.get("location") or "")
        title = str(value.get("title") or "")
        return [(title.strip(), target.strip())] if title.strip() or target.strip() else []
    if isinstance(value, list):
        return [t for v in value for t in _targets(v)]
    return [("", str(value))] if value is not None else []


def _agent_names(value: Any) -> str:
    """A licensor as it should be credited: names of people and organisations, joined."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return ", ".join(n for n in (_agent_names(v) for v in value) if n)
    if isinstance(value, dict):
        name = str(value.get("name") or "").strip()
        affiliation = str(value.get("affiliation") or value.get("memberOf") or "").strip()
        return f"{name} ({affiliation})" if name and affiliation else name or affiliation
    return ""


def _link_item(label: str, title: str, target: str) -> str:
    text = f"{title} – {target}" if title and target else title or target
    if _is_web_url(target):
        return str(format_html('<li>{}: <a href="{}">{}</a></li>', label, target, text))
    return str(format_html("<li>{}: {} ({})</li>", label, text, _("in the source repository")))


def _paragraphs(text: str) -> list[str]:
    return [
        str(format_html("<p>{}</p>", p.strip())) for p in re.split(r"\n\s*\n", text) if p.strip()
    ]


class _Mapper:
    """Turns a validated manifest into the values of a new design, noting what it used."""

    def __init__(self, manifest: dict[str, Any], flavour: Flavour, filename: str) -> None:
        self.manifest, self.flavour, self.filename = manifest, flavour, filename
        self.mapped: list[str] = []
        self.warnings: list[str] = []
        self.values: dict[str, Any] = {"kind": DesignKind.PRODUCT}
        self.function = ""  # HTML of the version's function
        self.number = "0.1"
        self.parts: list[_Part] = []
        self.intro: list[str] = []  # HTML paragraphs opening the description
        self.notes: list[str] = []  # HTML paragraphs about the import
        self.links: list[tuple[str, str, str]] = []  # (label, title, target)

    def use(self, key: str) -> Any:
        self.mapped.append(key)
        return self.manifest[key]

    def has(self, key: str) -> bool:
        return key in self.manifest and self.manifest[key] not in (None, "", [], {})

    def note(self, text: str) -> None:
        self.notes.append(str(format_html("<p>{}</p>", text)))

    # -- one field each

    def name(self, key: str) -> None:
        name = plain_text(str(self.use(key))) if self.has(key) else ""
        if not name:
            name = PurePosixPath(self.filename).stem or "OKH"
            self.warnings.append(_("The manifest gives no name: the file name is used."))
        if len(name) > 150:
            self.warnings.append(_("The name was shortened to 150 characters."))
        self.values["name"] = name[:150]

    def summary(self, text: str) -> None:
        text = " ".join(plain_text(text).split())
        self.values["summary"] = text if len(text) <= 300 else text[:299].rstrip() + "…"

    def license(self, spdx: str, key: str) -> None:
        offered = {v.lower(): v for v in License.values}
        value = offered.get(spdx.strip().lower())
        if value is not None:
            self.values["license"] = value
            return
        # Not a licence the library offers: the draft stays closed until a person chooses.
        self.values["license"] = License.PROPRIETARY
        self.note(
            _("Licence given by the manifest (%(key)s): %(license)s")
            % {"key": key, "license": spdx}
        )
        self.warnings.append(
            _(
                "The licence “%(license)s” is not one the library offers: the draft is marked "
                "“all rights reserved” until you choose its licence."
            )
            % {"license": spdx}
        )

    def licensor(self, key: str) -> None:
        # "Jane Doe <jane@example.org>" is how OKH writes a person: keep the address, which
        # plain_text would otherwise take for a tag and drop.
        text = plain_text(_EMAIL_IN_BRACKETS.sub(r"&lt;\1&gt;", _agent_names(self.use(key))))
        if len(text) > 200:
            self.warnings.append(_("The licensor was shortened to 200 characters."))
        if text:
            self.values["licensor"] = text[:200]

    def version(self, key: str) -> None:
        raw = str(self.use(key)).strip()
        number = _VERSION_PREFIX.sub("", raw)
        try:
            version_number_validator(number)
        except ValidationError:
            self.warnings.append(
                _("The version “%(version)s” is not a number like 1.0 or 2.1.3: the draft is 0.1.")
                % {"version": raw[:40]}
            )
            return
        self.number = number

    def repository(self, key: str) -> bool:
        url = str(self.manifest[key]).strip()
        if len(url) <= 200 and _is_web_url(url):
            self.use(key)
            self.values["repository_url"] = url
            return True
        return False

    def keywords(self, key: str) -> None:
        self.values["tags"] = [str(k) for k in self.use(key) if isinstance(k, str | int | float)]

    def fork(self, key: str, origin: str) -> None:
        self.use(key)
        # create_design keeps only services.DESIGN_FIELDS: the attribution is stored once the
        # services accept it; until then the description carries it.
        text = _("Derivative of %(origin)s") % {"origin": origin}
        self.values["attribution"] = text[:400]
        self.note(text)

    def link(self, key: str) -> None:
        label = _link_labels().get(key, key)
        self.links.extend((label, title, target) for title, target in _targets(self.use(key)))

    # -- the whole manifest

    def finish(self) -> list[str]:
        """Complete the values and warnings; return the keys left out."""
        used = {k.split(".", 1)[0] for k in self.mapped}
        unmapped = [k for k in self.manifest if k not in used]
        if self.links:
            self.warnings.append(
                _(
                    "Links to documents (bill of materials, instructions…) are noted in the "
                    "description: ReProduce works offline and fetched none of them."
                )
            )
        if any(k in self.manifest for k in FILE_KEYS):
            self.warnings.append(
                _(
                    "Images and design files were not downloaded (ReProduce works offline): "
                    "attach them to the draft yourself."
                )
            )
        if self.parts:
            self.warnings.append(_("Each part became a BOM line of 1 piece: check the quantities."))
        self.values["description"] = self._description()
        self.mapped = list(dict.fromkeys(self.mapped))
        return unmapped

    def _description(self) -> str:
        origin = _("Imported from the Open Know-How manifest “%(file)s” (%(schema)s).") % {
            "file": PurePosixPath(self.filename).name[:120],
            "schema": FLAVOUR_NAMES[self.flavour],
        }
        html = [*self.intro, str(format_html("<p>{}</p>", origin)), *self.notes]
        if self.links:
            html.append("<ul>" + "".join(_link_item(*link) for link in self.links) + "</ul>")
        return "\n".join(html)


def _map_v2(m: _Mapper) -> None:
    manifest = m.manifest
    m.use("okhv")
    m.name("name")
    if m.has("function"):
        function = str(m.use("function"))
        m.function = "".join(_paragraphs(escape(function)))
        m.summary(function)
    if m.has("license"):
        m.license(str(m.use("license")), "license")
    if m.has("licensor"):
        m.licensor("licensor")
    if m.has("version"):
        m.version("version")
    if m.has("repo") and not m.repository("repo"):
        m.link("repo")
        m.warnings.append(
            _("The repository address is too long to be stored: see the description.")
        )
    if m.has("keywords") and isinstance(manifest["keywords"], list):
        m.keywords("keywords")
    for key in ("fork-of", "forkOf"):
        if m.has(key):
            m.fork(key, str(manifest[key]))
            break
    for key in ("organization", "organisation"):
        if m.has(key):
            m.note(_("Organisation: %(name)s") % {"name": _agent_names(m.use(key))})
    for key in V2_LINK_KEYS:
        if m.has(key):
            m.link(key)
    if m.has("part") and isinstance(manifest["part"], list):
        _v2_parts(m, m.use("part"))


def _v2_parts(m: _Mapper, parts: list[dict[str, Any]]) -> None:
    for part in parts[:MAX_PARTS]:
        tsdc = ", ".join(t for _title, t in _targets(part.get("tsdc")))
        files = [t for key in ("source", "export") for _title, t in _targets(part.get(key))]
        m.parts.append(
            _Part(
                name=plain_text(str(part.get("name") or ""))[:200] or "OKH part",
                specification=_("TsDC %(tsdc)s") % {"tsdc": tsdc} if tsdc else "",
                notes=", ".join(files),
            )
        )
    if len(parts) > MAX_PARTS:
        m.warnings.append(_("Only the first %(n)d parts were imported.") % {"n": MAX_PARTS})


def _v1_license(m: _Mapper) -> None:
    licenses = m.use("license")
    if isinstance(licenses, str):  # not what v1 says, but seen in the wild
        m.license(licenses, "license")
        return
    given = [k for k in LICENSE_KINDS if licenses.get(k)]
    if not given:
        return
    m.mapped.extend(f"license.{k}" for k in given)
    m.license(str(licenses[given[0]]), f"license.{given[0]}")  # the hardware's first
    if given[1:]:
        others = "; ".join(f"{k}: {licenses[k]}" for k in given[1:])
        m.note(_("Other licences: %(list)s") % {"list": others})


def _map_v1(m: _Mapper) -> None:
    manifest = m.manifest
    m.name("title")
    if m.has("description"):
        description = str(m.use("description"))
        m.intro = _paragraphs(escape(description))
        m.summary(description)
    if m.has("intended-use"):
        m.function = "".join(_paragraphs(escape(str(m.use("intended-use")))))
    if m.has("license"):
        _v1_license(m)
    if m.has("licensor"):
        m.licensor("licensor")
    if m.has("version"):
        m.version("version")
    for key in ("project-link", "documentation-home"):
        if m.has(key) and m.repository(key):
            break
    if m.has("keywords") and isinstance(manifest["keywords"], list):
        m.keywords("keywords")
    for key in ("derivative-of", "variant-of"):
        if m.has(key):
            origin = " – ".join(t for pair in _targets(manifest[key]) for t in pair if t)
            m.fork(key, origin or key)
            break
    for key in V1_LINK_KEYS:
        if m.has(key) and key not in m.mapped:
            m.link(key)
    if m.has("sub-parts") and isinstance(manifest["sub-parts"], list):
        for i, sub in enumerate(m.use("sub-parts")[:MAX_PARTS], start=1):
            name = plain_text(str(sub.get("title") or "")) or _("Sub-part %(n)d") % {"n": i}
            url = str(sub.get("web") or sub.get("manifest") or "")
            m.parts.append(_Part(name=name[:200], notes=url[:300]))


def _write_parts(
    actor: Actor, organization: Organization, version: DesignVersion, parts: Iterable[_Part]
) -> None:
    for part in parts:
        item = services.create_item(
            actor=actor,
            organization=organization,
            values={
                "kind": ItemKind.PART,
                "name": part.name,
                "specification": part.specification[:300],
            },
        )
        services.add_bom_line(
            actor=actor,
            version=version,
            item=item,
            quantity=Decimal(1),
            unit=Unit.PIECE,
            notes=part.notes[:300],
        )


def import_okh(
    *, actor: Actor, organization: Organization, filename: str, data: bytes
) -> OkhImport:
    """Create a private draft design in ``organization`` from an OKH manifest.

    The file is parsed (``okh_unreadable`` when it is not TOML/YAML) and validated against
    its official schema (``okh_invalid``, with every error in ``.errors``) before anything is
    written; the design, its draft and its BOM lines are then written in one transaction.
    """
    require(actor, "design.edit", organization.pk)
    manifest, flavour = read_manifest(filename, data)
    errors = validate_okh(manifest, flavour)
    if errors:
        raise OkhInvalid(flavour, errors)
    mapper = _Mapper(manifest, flavour, filename)
    (_map_v1 if flavour == "v1" else _map_v2)(mapper)
    unmapped = mapper.finish()
    with transaction.atomic():
        design = services.create_design(
            actor=actor,
            organization=organization,
            values=mapper.values,
            number=mapper.number,
            visibility=Visibility.PRIVATE,
        )
        version = design.versions.get()
        if mapper.function:
            services.update_version(
                actor=actor, version=version, values={"function": mapper.function}
            )
        _write_parts(actor, organization, version, mapper.parts)
        audit.record(
            actor=actor,
            action="okh.imported",
            obj=design,
            organization_id=organization.pk,
            changes={
                "file": PurePosixPath(filename).name[:200],
                "sha256": hashlib.sha256(data).hexdigest(),
                "flavour": flavour,
                "unmapped": unmapped,
            },
        )
    return OkhImport(
        design=design,
        version=version,
        flavour=flavour,
        mapped=mapper.mapped,
        unmapped=unmapped,
        warnings=mapper.warnings,
    )
