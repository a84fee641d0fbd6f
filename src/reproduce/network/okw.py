"""Open Know-Where (OKW) export and import of the network registry.

The export describes every site the actor may see as an OKW "manufacturing facility"
(camelCase keys, processes and materials identified by Wikipedia URLs) with ReProduce's own
fields under ``x-reproduce``; what an organisation keeps to itself (machines, contacts, prices)
follows its sharing choices. The document is described by ``data/okw/okw-network.schema.json``.

The import reads such a document into one organisation: it checks the whole file first
(schema, then meaning: known URLs, coordinates in Belgium, the organisation named), writes
through ``network.services`` (audit, sanitising, search index), and keeps nothing unless every
facility is accepted. A dry run computes the same report and rolls back. See the folder's
README.md for the field mapping.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from referencing import Registry, Resource

import reproduce
from reproduce.accounts.models import Organization
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.core.sanitize import clean_html, plain_text
from reproduce.core.validators import validate_in_belgium
from reproduce.network import services
from reproduce.network.models import Commune, FieldGroup, Machine, Material, Process, Site
from reproduce.network.selectors import visible_groups
from reproduce.network.taxonomy import DATA_DIR

OKW_VERSION = "1.0"
SCHEMA_DIR = DATA_DIR / "okw"
FACILITY_SCHEMA = "okw-facility.schema.json"
NETWORK_SCHEMA = "okw-network.schema.json"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_REPORTED_PROBLEMS = 300  # a hostile file must not turn into a hostile report

# ReProduce value ↔ OKW value. ``private`` has no OKW equivalent: it travels in x-reproduce.
ACCESS_TO_OKW = {
    "public": "Public",
    "membership": "Membership",
    "restricted": "Restricted",
    "private": "Restricted",
}
OKW_TO_ACCESS = {
    "Public": "public",
    "Membership": "membership",
    "Restricted": "restricted",
    "Restricted with public hours": "restricted",
}
WHEELCHAIR_TO_OKW = {"yes": "Yes", "partial": "Partial", "no": "No", "unknown": "Unknown"}
CONDITION_TO_OKW = {"new": "New", "good": "Good", "worn": "Worn", "needs-repair": "Needs repair"}
OKW_TO_WHEELCHAIR = {v: k for k, v in WHEELCHAIR_TO_OKW.items()}
OKW_TO_CONDITION = {v: k for k, v in CONDITION_TO_OKW.items()}
WEEKDAYS_OSM = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
UNLISTED_STATUSES = {"Planned", "Closed"}


# ---------------------------------------------------------------- schema


def load_schema(name: str) -> dict[str, Any]:
    """One of the two JSON Schemas of the folder (for serving or validating)."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def network_validator() -> Draft202012Validator:
    facility, network = load_schema(FACILITY_SCHEMA), load_schema(NETWORK_SCHEMA)
    registry: Registry = Registry().with_resources(
        [(s["$id"], Resource.from_contents(s)) for s in (facility, network)]
    )
    return Draft202012Validator(network, registry=registry)


# ---------------------------------------------------------------- Wikipedia identifiers

_MOBILE_HOST = re.compile(r"^([a-z-]+)\.m\.(wikipedia\.org)$")


def wikipedia_key(url: str) -> str:
    """A comparable form of a Wikipedia URL.

    Tolerates http/https, the mobile host (``en.m.``), URL-encoded titles, spaces for
    underscores, a trailing slash, a query string and a lower-case first letter (Wikipedia
    titles are case-insensitive there). The fragment is kept: it tells sub-processes apart.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    host = _MOBILE_HOST.sub(r"\1.\2", host)
    path = unquote(parts.path).replace(" ", "_").rstrip("/")
    if path.startswith("/wiki/") and len(path) > 6:
        path = "/wiki/" + path[6].upper() + path[7:]
    fragment = unquote(parts.fragment).replace(" ", "_")
    return f"{host}{path}#{fragment}" if fragment else f"{host}{path}"


@dataclass
class Taxonomy:
    """Processes and materials by the comparable form of their Wikipedia URL."""

    processes: dict[str, Process]
    materials: dict[str, Material]

    @classmethod
    def load(cls) -> Taxonomy:
        return cls(
            processes={wikipedia_key(p.wikipedia_url): p for p in Process.objects.all()},
            materials={wikipedia_key(m.wikipedia_url): m for m in Material.objects.all()},
        )


# ---------------------------------------------------------------- export

_STREET_NUMBER = re.compile(r"^(?P<street>.+) (?P<number>\d[\w/-]*)$")


def split_street(street: str) -> tuple[str, str]:
    """``"Rue Ransfort 27"`` → ``("Rue Ransfort", "27")``; joined back with one space."""
    match = _STREET_NUMBER.match(street.strip())
    return (match["street"], match["number"]) if match else (street.strip(), "")


def _opening_text(periods: list[tuple[int, str, str]]) -> str:
    by_day: dict[int, list[str]] = defaultdict(list)
    for weekday, opens, closes in periods:
        by_day[weekday].append(f"{opens}-{closes}")
    return "; ".join(f"{WEEKDAYS_OSM[d]} {','.join(spans)}" for d, spans in sorted(by_day.items()))


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _equipment(machine: Machine, groups: set[str]) -> dict[str, Any]:
    extra = sorted(
        p.wikipedia_url for p in machine.extra_processes.all() if p.pk != machine.process_id
    )
    envelope = {axis: getattr(machine, f"envelope_{axis}_mm") for axis in "xyz"}
    x: dict[str, Any] = {
        "name": machine.name,
        "toleranceClass": machine.tolerance_class,
        "trainedOperator": machine.requires_trained_operator,
        "demo": machine.is_demo,
    }
    if any(v is not None for v in envelope.values()):
        x["envelope"] = {k: v for k, v in envelope.items() if v is not None}
    optional = {
        "year": machine.year,
        "maxThicknessMm": _number(machine.max_thickness_mm),
        "laserPowerW": machine.laser_power_w,
        "spindlePowerW": machine.spindle_power_w,
        "axes": machine.axes,
    }
    x.update({k: v for k, v in optional.items() if v is not None})
    if FieldGroup.PRICES in groups and machine.hourly_rate is not None:
        x["hourlyRate"], x["currency"] = _number(machine.hourly_rate), "EUR"
    if machine.properties:
        x["properties"] = machine.properties
    item: dict[str, Any] = {
        "equipmentType": machine.process.wikipedia_url,
        "manufacturingProcess": [machine.process.wikipedia_url, *extra],
        "make": machine.make,
        "model": machine.model,
        "quantity": machine.quantity,
        "condition": CONDITION_TO_OKW.get(machine.condition, "Good"),
        "materialsWorked": sorted(m.wikipedia_url for m in machine.materials.all()),
    }
    if machine.description:
        item["notes"] = machine.description
    if machine.envelope_x_mm and machine.envelope_y_mm:
        dims = [machine.envelope_x_mm, machine.envelope_y_mm] + (
            [machine.envelope_z_mm] if machine.envelope_z_mm else []
        )
        item["workingSurface"] = " × ".join(str(d) for d in dims) + " mm"
    item["x-reproduce"] = x
    return item


def _facility(site: Site, groups: set[str], machines: list[Machine] | None) -> dict[str, Any]:
    street, number = split_street(site.street)
    address: dict[str, Any] = {
        "street": street,
        "number": number,
        "postalCode": site.postcode,
        "city": site.city,
        "country": "BE",
    }
    address = {k: v for k, v in address.items() if v}
    hours = [(h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in site.opening_hours.all()]
    facility: dict[str, Any] = {
        "name": site.name,
        "location": {
            "address": address,
            "gps": {"latitude": float(site.latitude), "longitude": float(site.longitude)},
        },
        "owner": {"name": site.organization.name},
        "facilityStatus": "Active",
        "accessType": ACCESS_TO_OKW.get(site.access_type, "Restricted"),
        "wheelchairAccessibility": WHEELCHAIR_TO_OKW.get(site.wheelchair_access, "Unknown"),
        "languages": list(site.languages or []),
        "manufacturingProcesses": sorted(p.wikipedia_url for p in site.processes.all()),
    }
    if site.description:
        facility["description"] = site.description
    if hours:
        facility["openingHours"] = _opening_text(hours)
    contact = {k: getattr(site, k) for k in ("email", "phone") if getattr(site, k)}
    if FieldGroup.CONTACTS in groups and contact:
        facility["contact"] = contact
    if machines is not None:
        facility["equipment"] = [_equipment(m, groups) for m in machines]
        facility["typicalMaterials"] = sorted(
            {u for e in facility["equipment"] for u in e["materialsWorked"]}
        )
    x: dict[str, Any] = {"site": site.slug, "organization": site.organization.slug}
    if site.organization.enterprise_number:
        x["enterpriseNumber"] = site.organization.enterprise_number
    if site.commune_id:
        x["commune"] = site.commune.nis_code  # type: ignore[union-attr]
    x.update(
        {
            "accessType": site.access_type,
            "openingHours": [{"weekday": d, "opens": o, "closes": c} for d, o, c in hours],
            "listed": site.is_listed,
            "demo": site.is_demo,
        }
    )
    facility["x-reproduce"] = x
    return facility


def facility_queryset(actor: Actor) -> Any:
    """The sites ``actor`` may see, in the export's stable order."""
    return (
        Site.objects.visible_to(actor)
        .select_related("organization", "commune")
        .prefetch_related("processes", "opening_hours")
        .order_by("name", "slug")
    )


def facilities_for(actor: Actor, sites: list[Site]) -> list[dict[str, Any]]:
    """OKW facilities of ``sites`` as ``actor`` may see them (a constant number of queries)."""
    groups = visible_groups(actor, {s.organization_id for s in sites})
    shown = [s.pk for s in sites if FieldGroup.MACHINES in groups[s.organization_id]]
    by_site: dict[int, list[Machine]] = defaultdict(list)
    if shown:
        machines = (
            Machine.objects.visible_to(actor)
            .filter(site_id__in=shown)
            .select_related("process")
            .prefetch_related("materials", "extra_processes")
            .order_by("name", "make", "model", "pk")
        )
        for machine in machines:
            by_site[machine.site_id].append(machine)
    return [
        _facility(
            s,
            groups[s.organization_id],
            by_site[s.pk] if FieldGroup.MACHINES in groups[s.organization_id] else None,
        )
        for s in sites
    ]


def network_document(facilities: list[dict[str, Any]]) -> dict[str, Any]:
    """The OKW network envelope around ``facilities``."""
    return {
        "okw": OKW_VERSION,
        "generator": f"ReProduce {reproduce.__version__}",
        "generatedAt": timezone.now().replace(microsecond=0).isoformat(),
        "facilities": facilities,
    }


def export_facilities(actor: Actor) -> dict[str, Any]:
    """The OKW network document of everything ``actor`` may see."""
    return network_document(facilities_for(actor, list(facility_queryset(actor))))


# ---------------------------------------------------------------- reading a file


class OkwDocumentError(Exception):
    """The bytes are not an OKW document at all (too large, not JSON, not an object)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise OkwDocumentError(
                "not_json",
                _("The field “%(field)s” appears twice in the same object.") % {"field": key[:80]},
            )
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise OkwDocumentError(
        "not_json", _("“%(value)s” is not a number JSON allows.") % {"value": name}
    )


def too_large_message() -> str:
    return _("The file is larger than %(size)d MB.") % {"size": MAX_DOCUMENT_BYTES // (1024 * 1024)}


def parse_document(raw: bytes | str) -> dict[str, Any]:
    """The JSON object in ``raw``, whatever the file was called; OkwDocumentError otherwise."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data) > MAX_DOCUMENT_BYTES:
        raise OkwDocumentError("too_large", too_large_message())
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OkwDocumentError("not_json", _("The file is not UTF-8 text.")) from exc
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise OkwDocumentError(
            "not_json",
            _("The file is not valid JSON (line %(line)d, column %(column)d).")
            % {"line": exc.lineno, "column": exc.colno},
        ) from exc
    except RecursionError as exc:
        raise OkwDocumentError("not_json", _("The file is nested too deeply.")) from exc
    if not isinstance(value, dict):
        raise OkwDocumentError(
            "not_json", _("The file must contain one JSON object (an Open Know-Where document).")
        )
    return value


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# ---------------------------------------------------------------- the import report


@dataclass
class ReportEntry:
    """One line of the report. ``facility``/``equipment`` are indexes in the file."""

    pointer: str
    name: str = ""
    kind: str = "facility"  # facility | equipment | document
    facility: int | None = None
    equipment: int | None = None
    reason: str = ""  # why it was rejected
    fields: list[str] = field(default_factory=list)  # what an update changed


@dataclass
class ImportReport:
    organization: str
    dry_run: bool
    created: list[ReportEntry] = field(default_factory=list)
    updated: list[ReportEntry] = field(default_factory=list)
    unchanged: list[ReportEntry] = field(default_factory=list)
    rejected: list[ReportEntry] = field(default_factory=list)
    rejected_total: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return self.rejected_total == 0

    def reject(self, entry: ReportEntry) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REPORTED_PROBLEMS:
            self.rejected.append(entry)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": self.rejected_total,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "organization": self.organization,
            "dry_run": self.dry_run,
            "written": self.written,
            "counts": self.counts(),
            **{
                k: [asdict(e) for e in getattr(self, k)]
                for k in ("created", "updated", "unchanged", "rejected")
            },
        }

    @classmethod
    def refused(cls, organization: str, dry_run: bool, reason: str) -> ImportReport:
        """A report for a file that could not even be read."""
        report = cls(organization=organization, dry_run=dry_run)
        report.reject(ReportEntry(pointer="", kind="document", reason=reason))
        return report


# ---------------------------------------------------------------- schema errors, explained


def _escape(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(*parts: Any) -> str:
    """A JSON pointer (RFC 6901) to ``parts``."""
    return "".join("/" + _escape(p) for p in parts)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _type_names() -> dict[str, str]:
    return {
        "string": _("text"),
        "number": _("a number"),
        "integer": _("a whole number"),
        "boolean": _("true or false"),
        "array": _("a list"),
        "object": _("an object"),
        "null": _("empty (null)"),
    }


def _pattern_message(path: list[Any], value: Any) -> str:
    last = next((str(p) for p in reversed(path) if not isinstance(p, int)), "")
    messages = {
        "postalCode": _("“%(value)s” is not a Belgian postcode (4 digits, for example 1080)."),
        "opens": _("“%(value)s” is not a time of day written HH:MM (for example 09:30)."),
        "closes": _("“%(value)s” is not a time of day written HH:MM (for example 18:00)."),
        "languages": _("“%(value)s” is not a language code (ISO 639, for example fr or nl)."),
        "commune": _("“%(value)s” is not a NIS commune code (5 digits)."),
        "site": _("“%(value)s” is not a short name (letters, digits and hyphens)."),
        "organization": _("“%(value)s” is not a short name (letters, digits and hyphens)."),
        "country": _("“%(value)s” is not a country code (2 capital letters, for example BE)."),
    }
    url_fields = {
        "manufacturingProcesses",
        "typicalMaterials",
        "manufacturingProcess",
        "materialsWorked",
        "equipmentType",
    }
    if last in url_fields:
        return _("“%(value)s” is not a web address (http:// or https://).") % {
            "value": _shown(value)
        }
    template = messages.get(last, _("“%(value)s” does not have the expected form."))
    return template % {"value": _shown(value)}


def _limit_message(error: SchemaError) -> str:
    limit, value = error.validator_value, error.instance
    if error.validator in ("minimum", "exclusiveMinimum"):
        return _("%(value)s is below the smallest accepted value, %(limit)s.") % {
            "value": _shown(value),
            "limit": limit,
        }
    return _("%(value)s is above the largest accepted value, %(limit)s.") % {
        "value": _shown(value),
        "limit": limit,
    }


def _schema_message(error: SchemaError) -> str:
    kind, expected, value = error.validator, error.validator_value, error.instance
    path = list(error.absolute_path)
    if kind == "type":
        names = _type_names()
        wanted = [names.get(t, t) for t in ([expected] if isinstance(expected, str) else expected)]
        return _("This value must be %(expected)s.") % {"expected": _(" or ").join(wanted)}
    if kind == "pattern":
        return _pattern_message(path, value)
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _limit_message(error)
    if kind == "minLength":
        return (
            _("This text must not be empty.")
            if expected == 1
            else _("This text must have at least %(limit)d characters.") % {"limit": expected}
        )
    if kind == "maxLength":
        return _("This text is too long (at most %(limit)d characters).") % {"limit": expected}
    if kind == "minItems":
        return _("This list must have at least %(limit)d items.") % {"limit": expected}
    if kind == "maxItems":
        return _("This list is too long (at most %(limit)d items).") % {"limit": expected}
    if kind == "uniqueItems":
        return _("This list contains the same value twice.")
    if kind == "enum":
        return _("“%(value)s” is not one of the accepted values: %(choices)s.") % {
            "value": _shown(value),
            "choices": ", ".join(f"“{c}”" for c in expected),
        }
    if kind == "const":
        return _("This value must be “%(value)s”.") % {"value": expected}
    return _("This value is not valid (%(detail)s).") % {"detail": error.message[:200]}


def _schema_problems(error: SchemaError) -> list[tuple[list[Any], str]]:
    """(path, message) pairs; unknown and missing fields are named one by one."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        problems = []
        for name in error.instance:
            if name in known:
                continue
            close = difflib.get_close_matches(name, known, n=1)
            message = (
                _("Unknown field “%(field)s”. Did you mean “%(close)s”?")
                % {"field": _shown(name), "close": close[0]}
                if close
                else _("Unknown field “%(field)s”.") % {"field": _shown(name)}
            )
            problems.append(([*path, name], message))
        return problems
    if error.validator == "required" and isinstance(error.instance, dict):
        return [
            ([*path, name], _("The field “%(field)s” is required.") % {"field": name})
            for name in error.validator_value
            if name not in error.instance
        ]
    return [(path, _schema_message(error))]


def _facility_name(doc: dict[str, Any], index: int | None) -> str:
    facilities = doc.get("facilities")
    if index is None or not isinstance(facilities, list) or index >= len(facilities):
        return ""
    item = facilities[index]
    name = item.get("name") if isinstance(item, dict) else None
    return plain_text(name)[:150] if isinstance(name, str) else ""


def schema_entries(doc: dict[str, Any]) -> list[ReportEntry]:
    """Every place where ``doc`` does not follow the schema, in document order."""
    seen: set[tuple[str, str]] = set()
    entries = []
    for error in network_validator().iter_errors(doc):
        for path, message in _schema_problems(error):
            ptr = pointer(*path)
            if (ptr, message) in seen:
                continue
            seen.add((ptr, message))
            in_facility = len(path) > 1 and path[0] == "facilities" and isinstance(path[1], int)
            index = path[1] if in_facility else None
            equipment = (
                path[3]
                if index is not None
                and len(path) > 3
                and path[2] == "equipment"
                and isinstance(path[3], int)
                else None
            )
            entries.append(
                ReportEntry(
                    pointer=ptr,
                    name=_facility_name(doc, index),
                    kind="equipment"
                    if equipment is not None
                    else ("facility" if index is not None else "document"),
                    facility=index,
                    equipment=equipment,
                    reason=message,
                )
            )
    return sorted(entries, key=lambda e: _pointer_sort_key(e.pointer))


def _pointer_sort_key(ptr: str) -> list[tuple[int, Any]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in ptr.split("/")[1:]]


# ---------------------------------------------------------------- import

# Model field → where it lives in a facility / an equipment item (for reports and errors).
SITE_POINTERS = {
    "name": "/name",
    "description": "/description",
    "street": "/location/address/street",
    "postcode": "/location/address/postalCode",
    "city": "/location/address/city",
    "latitude": "/location/gps/latitude",
    "longitude": "/location/gps/longitude",
    "access_type": "/accessType",
    "wheelchair_access": "/wheelchairAccessibility",
    "languages": "/languages",
    "email": "/contact/email",
    "phone": "/contact/phone",
    "is_listed": "/x-reproduce/listed",
    "commune": "/x-reproduce/commune",
    "slug": "/x-reproduce/site",
    "processes": "/manufacturingProcesses",
    "opening_hours": "/x-reproduce/openingHours",
}
MACHINE_POINTERS = {
    "name": "/x-reproduce/name",
    "make": "/make",
    "model": "/model",
    "year": "/x-reproduce/year",
    "quantity": "/quantity",
    "condition": "/condition",
    "description": "/notes",
    "envelope_x_mm": "/x-reproduce/envelope/x",
    "envelope_y_mm": "/x-reproduce/envelope/y",
    "envelope_z_mm": "/x-reproduce/envelope/z",
    "max_thickness_mm": "/x-reproduce/maxThicknessMm",
    "laser_power_w": "/x-reproduce/laserPowerW",
    "spindle_power_w": "/x-reproduce/spindlePowerW",
    "axes": "/x-reproduce/axes",
    "tolerance_class": "/x-reproduce/toleranceClass",
    "properties": "/x-reproduce/properties",
    "hourly_rate": "/x-reproduce/hourlyRate",
    "requires_trained_operator": "/x-reproduce/trainedOperator",
    "process": "/manufacturingProcess",
    "extra_processes": "/manufacturingProcess",
    "materials": "/materialsWorked",
}
_MACHINE_X_FIELDS = {
    "year": "year",
    "maxThicknessMm": "max_thickness_mm",
    "laserPowerW": "laser_power_w",
    "spindlePowerW": "spindle_power_w",
    "axes": "axes",
    "toleranceClass": "tolerance_class",
    "hourlyRate": "hourly_rate",
    "trainedOperator": "requires_trained_operator",
    "properties": "properties",
}
_DECIMAL_FIELDS = {"max_thickness_mm", "hourly_rate"}
_COORDINATE = Decimal("0.00001")


class _Rejected(Exception):
    """Problems found in one facility; raised to skip writing it."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:  # the schema already refused non-numbers; belt and braces
        return None


def _key(*parts: str) -> tuple[str, ...]:
    return tuple(" ".join((p or "").split()).casefold() for p in parts)


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(current, Decimal) or isinstance(wanted, Decimal):
        if current is None or wanted is None:
            return current is wanted
        return Decimal(current) == Decimal(wanted)
    if isinstance(current, Commune) or isinstance(wanted, Commune):
        return getattr(current, "pk", None) == getattr(wanted, "pk", None)
    return bool(current == wanted)


def _validation_problems(
    exc: ValidationError, base: str, pointers: dict[str, str]
) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            (base + pointers.get(name, ""), str(message))
            for name, errors in exc.error_dict.items()
            for error in errors
            for message in error.messages
        ]
    return [(base, str(m)) for m in exc.messages]


@dataclass
class _Plan:
    """What one facility of the file asks for, resolved against the taxonomy."""

    values: dict[str, Any]
    processes: list[Process] | None
    hours: list[services.Period] | None
    slug: str | None
    is_demo: bool
    equipment: list[dict[str, Any]]


class _Importer:
    def __init__(self, actor: Actor, organization: Organization, report: ImportReport) -> None:
        self.actor, self.organization, self.report = actor, organization, report
        self.taxonomy = Taxonomy.load()
        self.communes = {c.nis_code: c for c in Commune.objects.all()}
        sites = list(
            Site.objects.owned_by(organization).prefetch_related("processes", "opening_hours")
        )
        self.by_slug = {s.slug: s for s in sites}
        self.by_place = {_key(s.name, s.postcode): s for s in sites}
        self.machines: dict[int, dict[tuple[str, ...], Machine]] = defaultdict(dict)
        for machine in (
            Machine.objects.owned_by(organization)
            .select_related("process")
            .prefetch_related("materials", "extra_processes")
        ):
            key = _key(machine.name, machine.make, machine.model)
            self.machines[machine.site_id][key] = machine
        self.claimed: set[int] = set()

    # -- resolving

    def _terms(
        self,
        urls: list[str],
        table: dict[str, Any],
        base: str,
        problems: list[tuple[str, str]],
        what: str,
    ) -> list[Any]:
        found = []
        for i, url in enumerate(urls):
            term = table.get(wikipedia_key(url))
            if term is None:
                message = (
                    _(
                        "Unknown process “%(url)s”: no process of the ReProduce taxonomy has "
                        "this Wikipedia address."
                    )
                    if what == "process"
                    else _(
                        "Unknown material “%(url)s”: no material of the ReProduce taxonomy "
                        "has this Wikipedia address."
                    )
                )
                problems.append((f"{base}/{i}", message % {"url": _shown(url)}))
            elif term not in found:
                found.append(term)
        return found

    def _check_owner(self, x: dict[str, Any], base: str, problems: list[tuple[str, str]]) -> None:
        named = x.get("organization")
        if named is not None and named != self.organization.slug:
            problems.append(
                (
                    base + "/x-reproduce/organization",
                    _(
                        "Forged organisation: this facility belongs to “%(named)s”, not to "
                        "“%(org)s” which is importing. Remove x-reproduce.organization to "
                        "adopt the facility."
                    )
                    % {"named": _shown(named), "org": self.organization.slug},
                )
            )
        number = x.get("enterpriseNumber")
        own = re.sub(r"\D", "", self.organization.enterprise_number)
        if number and re.sub(r"\D", "", number) != own:
            problems.append(
                (
                    base + "/x-reproduce/enterpriseNumber",
                    _(
                        "Forged organisation: the enterprise number %(number)s is not the "
                        "importing organisation's."
                    )
                    % {"number": _shown(number)},
                )
            )

    def _location(
        self, data: dict[str, Any], base: str, problems: list[tuple[str, str]]
    ) -> dict[str, Any]:
        address, gps = data["location"]["address"], data["location"]["gps"]
        if address.get("country", "BE") != "BE":
            problems.append(
                (
                    base + "/location/address/country",
                    _("ReProduce only records facilities in Belgium (country BE)."),
                )
            )
        lat = Decimal(str(gps["latitude"])).quantize(_COORDINATE, rounding=ROUND_HALF_UP)
        lon = Decimal(str(gps["longitude"])).quantize(_COORDINATE, rounding=ROUND_HALF_UP)
        try:
            validate_in_belgium(lat, lon)
        except ValidationError as exc:
            problems.append((base + "/location/gps", str(exc.messages[0])))
        parts = (address["street"].strip(), address.get("number", "").strip())
        street = " ".join(p for p in parts if p)
        values: dict[str, Any] = {
            "street": street,
            "postcode": address["postalCode"],
            "latitude": lat,
            "longitude": lon,
        }
        if "city" in address:
            values["city"] = address["city"]
        return values

    def _hours(
        self, periods: list[dict[str, Any]], base: str, problems: list[tuple[str, str]]
    ) -> list[services.Period]:
        result = []
        for i, p in enumerate(periods):
            opens, closes = time.fromisoformat(p["opens"]), time.fromisoformat(p["closes"])
            if closes <= opens:
                problems.append((f"{base}/{i}", _("A site must close after it opens.")))
            result.append(services.Period(weekday=p["weekday"], opens=opens, closes=closes))
        by_day: dict[int, list[services.Period]] = defaultdict(list)
        for period in result:
            by_day[period.weekday].append(period)
        for day in by_day.values():
            day.sort(key=lambda p: p.opens)
            if any(b.opens < a.closes for a, b in itertools.pairwise(day)):
                problems.append((base, _("Two opening periods of the same day overlap.")))
                break
        return result

    def _site_values(
        self, data: dict[str, Any], x: dict[str, Any], base: str, problems: list[tuple[str, str]]
    ) -> dict[str, Any]:
        values = {"name": data["name"], **self._location(data, base, problems)}
        if "description" in data:
            values["description"] = data["description"]
        access = x.get("accessType") or OKW_TO_ACCESS.get(data.get("accessType", ""))
        if access:
            values["access_type"] = access
        if "wheelchairAccessibility" in data:
            values["wheelchair_access"] = OKW_TO_WHEELCHAIR[data["wheelchairAccessibility"]]
        if "languages" in data:
            values["languages"] = list(data["languages"])
        for key in ("email", "phone"):
            if key in data.get("contact", {}):
                values[key] = data["contact"][key].strip()
        if "listed" in x:
            values["is_listed"] = x["listed"]
        elif data.get("facilityStatus") in UNLISTED_STATUSES:
            values["is_listed"] = False
        if "commune" in x:
            commune = self.communes.get(x["commune"])
            if commune is None:
                problems.append(
                    (
                        base + "/x-reproduce/commune",
                        _("Unknown commune code “%(code)s”.") % {"code": x["commune"]},
                    )
                )
            values["commune"] = commune
        return values

    def _equipment_plan(
        self, item: dict[str, Any], base: str, problems: list[tuple[str, str]]
    ) -> dict[str, Any]:
        x = item.get("x-reproduce", {})
        listed = item.get("manufacturingProcess")
        urls = listed or ([item["equipmentType"]] if "equipmentType" in item else [])
        where = base + ("/manufacturingProcess" if listed else "/equipmentType")
        processes = self._terms(urls, self.taxonomy.processes, where, problems, "process")
        if not urls:
            problems.append(
                (
                    base,
                    _(
                        "Say which process the machine does (manufacturingProcess "
                        "or equipmentType)."
                    ),
                )
            )
        materials = (
            self._terms(
                item["materialsWorked"],
                self.taxonomy.materials,
                base + "/materialsWorked",
                problems,
                "material",
            )
            if "materialsWorked" in item
            else None
        )
        values: dict[str, Any] = {k: item[k] for k in ("make", "model", "quantity") if k in item}
        if "condition" in item:
            values["condition"] = OKW_TO_CONDITION[item["condition"]]
        if "notes" in item:
            values["description"] = item["notes"]
        for axis, size in x.get("envelope", {}).items():
            values[f"envelope_{axis}_mm"] = size
        for key, name in _MACHINE_X_FIELDS.items():
            if key in x:
                values[name] = _decimal(x[key]) if name in _DECIMAL_FIELDS else x[key]
        label = plain_text(
            x.get("name")
            or " ".join(p for p in (item.get("make", ""), item.get("model", "")) if p.strip())
            or (processes[0].label_fr if processes else "")
        )
        values["name"] = label[:150]
        return {
            "values": values,
            "process": processes[0] if processes else None,
            "extra": processes[1:] if item.get("manufacturingProcess") else None,
            "materials": materials,
            "demo": bool(x.get("demo", False)),
            "pointer": base,
        }

    def plan(self, index: int, data: dict[str, Any]) -> _Plan:
        base = pointer("facilities", index)
        x = data.get("x-reproduce", {})
        problems: list[tuple[str, str]] = []
        self._check_owner(x, base, problems)
        values = self._site_values(data, x, base, problems)
        processes = (
            self._terms(
                data["manufacturingProcesses"],
                self.taxonomy.processes,
                base + "/manufacturingProcesses",
                problems,
                "process",
            )
            if "manufacturingProcesses" in data
            else None
        )
        # typicalMaterials is derived from the machines: not stored, so not checked either.
        hours = (
            self._hours(x["openingHours"], base + "/x-reproduce/openingHours", problems)
            if "openingHours" in x
            else None
        )
        equipment = [
            self._equipment_plan(item, f"{base}/equipment/{j}", problems)
            for j, item in enumerate(data.get("equipment", []))
        ]
        if problems:
            raise _Rejected(problems)
        return _Plan(
            values=values,
            processes=processes,
            hours=hours,
            slug=x.get("site"),
            is_demo=bool(x.get("demo", False)),
            equipment=equipment,
        )

    # -- writing

    def _match(self, plan: _Plan) -> Site | None:
        site = self.by_slug.get(plan.slug or "") or self.by_place.get(
            _key(plain_text(plan.values["name"]), plan.values["postcode"])
        )
        return site

    def _free_slug(self, slug: str | None) -> str | None:
        taken = Site.objects.unscoped("slugs are unique across the network").filter(slug=slug)
        if not slug or taken.exists():
            return None
        return slug

    def _site_changes(self, site: Site, plan: _Plan) -> tuple[dict[str, Any], bool, bool]:
        wanted = dict(plan.values)
        wanted["name"] = plain_text(wanted["name"])
        if "description" in wanted:
            wanted["description"] = clean_html(wanted["description"])
        changed = {k: v for k, v in plan.values.items() if not _same(getattr(site, k), wanted[k])}
        processes_changed = plan.processes is not None and (
            {p.pk for p in plan.processes} != {p.pk for p in site.processes.all()}
        )
        current_hours = sorted((h.weekday, h.opens, h.closes) for h in site.opening_hours.all())
        hours_changed = plan.hours is not None and (
            sorted((p.weekday, p.opens, p.closes) for p in plan.hours) != current_hours
        )
        return changed, processes_changed, hours_changed

    def write(self, index: int, data: dict[str, Any], plan: _Plan) -> None:
        base = pointer("facilities", index)
        entry = ReportEntry(pointer=base, name=plain_text(data["name"])[:150], facility=index)
        site = self._match(plan)
        if site is not None and site.pk in self.claimed:
            raise _Rejected(
                [
                    (
                        base,
                        _(
                            "Another facility of this file already describes the same "
                            "site (same short name, or same name and postcode)."
                        ),
                    )
                ]
            )
        try:
            if site is None:
                site = self._create_site(plan)
                self.report.created.append(entry)
            else:
                self._update_site(site, plan, entry)
        except ValidationError as exc:
            raise _Rejected(_validation_problems(exc, base, SITE_POINTERS)) from exc
        self.claimed.add(site.pk)
        self._write_machines(index, site, plan)

    def _create_site(self, plan: _Plan) -> Site:
        values = dict(plan.values)
        slug = self._free_slug(plan.slug)
        if slug:
            values["slug"] = slug
        site = services.create_site(
            actor=self.actor,
            organization=self.organization,
            values=values,
            processes=plan.processes,
            is_demo=plan.is_demo,
        )
        if plan.hours:
            services.set_opening_hours(actor=self.actor, site=site, periods=plan.hours)
        self.by_slug[site.slug] = site
        self.by_place[_key(site.name, site.postcode)] = site
        return site

    def _update_site(self, site: Site, plan: _Plan, entry: ReportEntry) -> None:
        changed, processes_changed, hours_changed = self._site_changes(site, plan)
        if changed or processes_changed:
            services.update_site(
                actor=self.actor,
                site=site,
                values=changed,
                processes=plan.processes if processes_changed else None,
            )
        if hours_changed:
            assert plan.hours is not None
            services.set_opening_hours(actor=self.actor, site=site, periods=plan.hours)
        entry.fields = sorted(
            [SITE_POINTERS[k][1:] for k in changed]
            + (["manufacturingProcesses"] if processes_changed else [])
            + (["x-reproduce/openingHours"] if hours_changed else [])
        )
        (self.report.updated if entry.fields else self.report.unchanged).append(entry)

    def _write_machines(self, index: int, site: Site, plan: _Plan) -> None:
        problems: list[tuple[str, str]] = []
        seen: set[tuple[str, ...]] = set()
        for j, item in enumerate(plan.equipment):
            values = item["values"]
            key = _key(values["name"], values.get("make", ""), values.get("model", ""))
            entry = ReportEntry(
                pointer=item["pointer"],
                name=values["name"],
                kind="equipment",
                facility=index,
                equipment=j,
            )
            if key in seen:
                problems.append(
                    (
                        item["pointer"],
                        _("Another machine of this facility has the same name, make and model."),
                    )
                )
                continue
            seen.add(key)
            try:
                self._write_machine(site, key, item, entry)
            except ValidationError as exc:
                problems += _validation_problems(exc, item["pointer"], MACHINE_POINTERS)
        if problems:
            raise _Rejected(problems)

    def _write_machine(
        self, site: Site, key: tuple[str, ...], item: dict[str, Any], entry: ReportEntry
    ) -> None:
        machine = self.machines[site.pk].get(key)
        if machine is None:
            machine = services.create_machine(
                actor=self.actor,
                site=site,
                process=item["process"],
                values=item["values"],
                materials=item["materials"],
                extra_processes=item["extra"] or [],
                is_demo=item["demo"],
            )
            self.machines[site.pk][key] = machine
            self.report.created.append(entry)
            return
        fields = self._machine_changes(machine, item)
        if fields:
            services.update_machine(
                actor=self.actor,
                machine=machine,
                values={k: v for k, v in item["values"].items() if k in fields},
                process=item["process"] if "process" in fields else None,
                materials=item["materials"] if "materials" in fields else None,
                extra_processes=item["extra"] if "extra_processes" in fields else None,
            )
        entry.fields = sorted({MACHINE_POINTERS[f][1:] for f in fields})
        (self.report.updated if fields else self.report.unchanged).append(entry)

    def _machine_changes(self, machine: Machine, item: dict[str, Any]) -> list[str]:
        wanted = dict(item["values"])
        wanted["name"] = plain_text(wanted["name"])
        if "description" in wanted:
            wanted["description"] = clean_html(wanted["description"])
        fields = [k for k in wanted if not _same(getattr(machine, k), wanted[k])]
        if item["process"] is not None and item["process"].pk != machine.process_id:
            fields.append("process")
        if item["extra"] is not None and (
            {p.pk for p in item["extra"]} != {p.pk for p in machine.extra_processes.all()}
        ):
            fields.append("extra_processes")
        if item["materials"] is not None and (
            {m.pk for m in item["materials"]} != {m.pk for m in machine.materials.all()}
        ):
            fields.append("materials")
        return fields

    def run(self, facilities: list[dict[str, Any]], skip: set[int]) -> None:
        for index, data in enumerate(facilities):
            if index in skip:
                continue
            try:
                self.write(index, data, self.plan(index, data))
            except _Rejected as rejected:
                name = plain_text(data["name"])[:150]
                for ptr, reason in rejected.problems:
                    equipment = re.match(r"^/facilities/\d+/equipment/(\d+)", ptr)
                    self.report.reject(
                        ReportEntry(
                            pointer=ptr,
                            name=name,
                            facility=index,
                            reason=reason,
                            kind="equipment" if equipment else "facility",
                            equipment=int(equipment[1]) if equipment else None,
                        )
                    )


def import_facilities(
    *, actor: Actor, organization: Organization, document: dict[str, Any], dry_run: bool
) -> ImportReport:
    """Import an OKW network document into ``organization``; all or nothing.

    Facilities are matched to the organisation's sites by ``x-reproduce.site`` short name, then
    by name and postcode; machines within a site by name, make and model. Fields a facility
    leaves out are left as they are; nothing is ever deleted. The report lists what was (or, in
    a dry run, would be) created, updated, left unchanged, and every rejected field with its
    JSON pointer. Nothing is written when anything is rejected, nor in a dry run.
    """
    if actor.role_in(organization.pk) is None:
        raise PermissionDenied(_("You are not a member of this organisation."))
    require(actor, "okw.import", organization.pk)
    report = ImportReport(organization=organization.slug, dry_run=dry_run)
    problems = schema_entries(document)
    for entry in problems:
        report.reject(entry)
    if any(e.facility is None for e in problems):
        return report  # the envelope itself is wrong: the facilities cannot be trusted
    with transaction.atomic():
        _Importer(actor, organization, report).run(
            document["facilities"], skip={e.facility for e in problems if e.facility is not None}
        )
        if report.ok and not dry_run and (report.created or report.updated):
            # One event tying the sites' and machines' own events to the file they came from.
            audit.record(
                actor=actor,
                action="okw.imported",
                object_type="okw.document",
                object_id=digest(json.dumps(document, sort_keys=True).encode()),
                organization_id=organization.pk,
                changes=report.counts(),
            )
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    if not report.ok:
        # Nothing was kept: listing what "was created" would mislead.
        report.created, report.updated, report.unchanged = [], [], []
        report.rejected.sort(key=lambda e: _pointer_sort_key(e.pointer))
    report.written = report.ok and not dry_run
    return report


def facilities_page(actor: Actor, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the export (for the paginated API)."""
    sites = facility_queryset(actor)
    count = sites.count()
    return facilities_for(actor, list(sites[offset : offset + limit])), count
