"""Order options of a configurable design (MobiFab: how many seat modules, a backrest…).

A design version may carry a small specification in ``DesignVersion.configurator``::

    {"options": [{"code": "extra_modules", "kind": "count", "min": 0, "max": 3, "default": 0,
                  "label": {"fr": "…", "nl": "…", "en": "…"},
                  "adds": [{"component": "mobifab-connector", "quantity": 4},
                           {"item": 12, "quantity": "3.4"}],
                  "work_factor": "0.5"}]}

Each unit of an option adds sub-designs (``component``: the slug of a design the version's
BOM uses) and materials (``item``: an item id) per unit of the product, and ``work_factor``
times the product's own operation time. Released versions never change, so an order keeps
the meaning of the options it was placed with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import jsonschema
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reproduce.designs.models import BomLine, DesignVersion

_TEXT = {
    "type": "object",
    "properties": {lang: {"type": "string", "maxLength": 200} for lang in ("fr", "nl", "en")},
    "required": ["fr"],
    "additionalProperties": False,
}
_NUMBER = {"type": ["number", "string"], "pattern": r"^\d+(\.\d+)?$"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "options": {
            "type": "array",
            "maxItems": 20,
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,39}$"},
                    "kind": {"enum": ["count", "toggle"]},
                    "label": _TEXT,
                    "help": _TEXT,
                    "min": {"type": "integer", "minimum": 0},
                    "max": {"type": "integer", "minimum": 0, "maximum": 1000},
                    "default": {"type": "integer", "minimum": 0},
                    "work_factor": _NUMBER,
                    "adds": {
                        "type": "array",
                        "maxItems": 30,
                        "items": {
                            "type": "object",
                            "properties": {
                                "component": {"type": "string"},
                                "item": {"type": "integer"},
                                "quantity": _NUMBER,
                            },
                            "required": ["quantity"],
                            "oneOf": [{"required": ["component"]}, {"required": ["item"]}],
                            "additionalProperties": False,
                        },
                    },
                },
                "required": ["code", "kind", "label"],
                "additionalProperties": False,
            },
        }
    },
    "additionalProperties": False,
}


@dataclass
class Option:
    code: str
    kind: str
    label: str
    help: str
    minimum: int
    maximum: int
    default: int


@dataclass
class Resolved:
    """What a configuration adds per unit of the product."""

    components: dict[int, Decimal] = field(default_factory=dict)  # component version id → qty
    items: dict[int, Decimal] = field(default_factory=dict)  # item id → qty
    work_factor: Decimal = Decimal(1)
    summary: list[str] = field(default_factory=list)


def _text(value: dict[str, str] | None) -> str:
    if not value:
        return ""
    lang = (get_language() or "fr")[:2]
    return value.get(lang) or value.get("fr") or next(iter(value.values()), "")


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:  # the schema already checked the shape
        raise ValidationError(_("Not a number: %(v)s") % {"v": value}) from exc


def _component_versions(version: DesignVersion) -> dict[str, int]:
    lines = BomLine.objects.unscoped("components of a version the caller may see").filter(
        version=version, component_version__isnull=False
    )
    return {
        line.component_version.design.slug: line.component_version_id
        for line in lines.select_related("component_version__design")
        if line.component_version is not None and line.component_version_id is not None
    }


def validate_spec(version: DesignVersion, spec: Any) -> dict[str, Any]:
    """Check a configurator specification: shape (JSON schema) and references (components
    the BOM uses). Returns it unchanged, or raises a translated ValidationError."""
    if not spec:
        return {}
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(spec), key=str)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "/"
        raise ValidationError(
            _("The order options are not valid at %(where)s: %(error)s")
            % {"where": where, "error": errors[0].message}
        )
    components = _component_versions(version)
    codes: set[str] = set()
    for raw in spec.get("options", []):
        if raw["code"] in codes:
            raise ValidationError(_("Two options have the code %(c)s.") % {"c": raw["code"]})
        codes.add(raw["code"])
        for add in raw.get("adds", []):
            if "component" in add and add["component"] not in components:
                raise ValidationError(
                    _("Option %(c)s adds %(d)s, which is not a component of this version's BOM.")
                    % {"c": raw["code"], "d": add["component"]}
                )
    return dict(spec)


def options(version: DesignVersion) -> list[Option]:
    out = []
    for raw in (version.configurator or {}).get("options", []):
        top = 1 if raw["kind"] == "toggle" else int(raw.get("max", 10))
        low = int(raw.get("min", 0))
        out.append(
            Option(
                code=raw["code"],
                kind=raw["kind"],
                label=_text(raw.get("label")),
                help=_text(raw.get("help")),
                minimum=low,
                maximum=top,
                default=min(max(int(raw.get("default", low)), low), top),
            )
        )
    return out


def clean_configuration(version: DesignVersion, data: dict[str, Any] | None) -> dict[str, int]:
    """The customer's choices, checked against the version's options (defaults filled in)."""
    data = dict(data or {})
    known = {o.code: o for o in options(version)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValidationError(
            _("This design has no option %(code)s.") % {"code": ", ".join(unknown)},
            code="unknown_option",
        )
    chosen: dict[str, int] = {}
    for code, option in known.items():
        raw = data.get(code, option.default)
        if isinstance(raw, bool):
            raw = int(raw)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(
                _("%(label)s: a whole number is expected.") % {"label": option.label},
                code="invalid_option",
            ) from None
        if not option.minimum <= value <= option.maximum:
            raise ValidationError(
                _("%(label)s must be between %(min)s and %(max)s.")
                % {"label": option.label, "min": option.minimum, "max": option.maximum},
                code="invalid_option",
            )
        chosen[code] = value
    return chosen


def resolve(version: DesignVersion, configuration: dict[str, int]) -> Resolved:
    """What the chosen options add per unit of the product."""
    resolved = Resolved()
    if not configuration:
        return resolved
    components = _component_versions(version)
    raw_options = {o["code"]: o for o in (version.configurator or {}).get("options", [])}
    for option in options(version):
        count = configuration.get(option.code, 0)
        if not count:
            continue
        raw = raw_options[option.code]
        resolved.summary.append(
            option.label if option.kind == "toggle" else f"{option.label}: {count}"
        )
        resolved.work_factor += _decimal(raw.get("work_factor", 0)) * count
        for add in raw.get("adds", []):
            amount = _decimal(add["quantity"]) * count
            if "component" in add:
                vid = components[add["component"]]
                resolved.components[vid] = resolved.components.get(vid, Decimal(0)) + amount
            else:
                item = int(add["item"])
                resolved.items[item] = resolved.items.get(item, Decimal(0)) + amount
    return resolved


def summary(version: DesignVersion, configuration: dict[str, int]) -> list[str]:
    return resolve(version, configuration).summary if configuration else []
