"""Loading the Brussels demonstration network (PRODUCT.md §6) through the real services."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from reproduce.accounts.models import Membership, NetworkRole, Organization, User
from reproduce.core.actor import Actor
from reproduce.network import services
from reproduce.network.models import Commune, Machine, Material, Process, Site
from reproduce.network.taxonomy import DATA_DIR

DEMO_PASSWORD = "reproduce-demo"  # printed by `make demo`; demo accounts only


@dataclass
class DemoReport:
    organizations: int = 0
    sites: int = 0
    machines: int = 0
    users: list[tuple[str, str]] = field(default_factory=list)  # (email, what they are)


def system_actor(org: Organization) -> Actor:
    # The loader acts as the organisation's owner, so every write goes through the same checks.
    return Actor(user=None, memberships={org.pk: "owner"})


def _user(entry: dict[str, Any]) -> User:
    user = User.objects.filter(email=entry["email"]).first()
    if user is None:
        user = User.objects.create_user(
            email=entry["email"],
            password=DEMO_PASSWORD,
            first_name=entry.get("first_name", ""),
            last_name=entry.get("last_name", ""),
            preferred_language=entry.get("language", "fr"),
            is_demo=True,
        )
    return user


def _text(value: Any, lang: str = "fr") -> str:
    return value.get(lang, "") if isinstance(value, dict) else (value or "")


@transaction.atomic
def load_demo_network(path: Path | None = None) -> DemoReport:
    """Create the demo network once; a second run changes nothing (keyed on slugs and e-mails)."""
    data = json.loads((path or DATA_DIR / "demo_network.json").read_text(encoding="utf-8"))
    report = DemoReport()
    processes = {p.code: p for p in Process.objects.all()}
    materials = {m.code: m for m in Material.objects.all()}
    communes = {c.nis_code: c for c in Commune.objects.all()}
    orgs: dict[str, Organization] = {}
    for entry in data["organizations"]:
        org, created = Organization.objects.get_or_create(
            slug=entry["slug"],
            defaults={
                "name": entry["name"],
                "legal_name": entry.get("legal_name", ""),
                "kind": entry["kind"],
                "enterprise_number": entry.get("enterprise_number", ""),
                "vat_number": entry.get("vat_number", ""),
                "description": _text(entry.get("description")),
                "website": entry.get("website", ""),
                "email": entry.get("email", ""),
                "phone": entry.get("phone", ""),
                "street": entry.get("street", ""),
                "postcode": entry.get("postcode", ""),
                "city": entry.get("city", ""),
                "is_demo": True,
            },
        )
        if created:
            org.full_clean()
            org.save()
        orgs[org.slug] = org
        report.organizations += 1
        for member in entry.get("members", []):
            user = _user(member)
            Membership.objects.unscoped("demo loader").get_or_create(
                user=user, organization=org, defaults={"role": member["role"]}
            )
            role_line = f"{member['role']} · {org.name}"
            persona = member.get("persona")
            report.users.append((user.email, f"{persona} — {role_line}" if persona else role_line))
            for skill in member.get("skills", []):
                actor = system_actor(org)
                s = services.declare_skill(
                    actor=actor,
                    organization=org,
                    user=user,
                    process=processes[skill["process"]],
                    level=skill["level"],
                )
                if skill.get("validated"):
                    services.validate_skill(actor=actor, skill=s)
    for entry in data["organizations"]:
        org = orgs[entry["slug"]]
        actor = system_actor(org)
        for group, audience in entry.get("sharing", {}).items():
            if group == "named":
                continue
            named = [orgs[s] for s in entry["sharing"].get("named", []) if s in orgs]
            services.set_sharing(
                actor=actor, organization=org, group=group, audience=audience, shared_with=named
            )
        for site_entry in entry.get("sites", []):
            report.sites += 1
            report.machines += _load_site(actor, org, site_entry, processes, materials, communes)
    for staff in data.get("network_staff", []):
        user = _user(staff)
        for role in staff.get("roles", []):
            NetworkRole.objects.get_or_create(user=user, role=role)
        roles = ", ".join(staff.get("roles", []))
        persona = staff.get("persona") or roles
        report.users.append(
            (user.email, f"{persona} — {roles}" if roles and persona != roles else persona)
        )
    return report


def _load_site(
    actor: Actor,
    org: Organization,
    entry: dict[str, Any],
    processes: dict[str, Process],
    materials: dict[str, Material],
    communes: dict[str, Commune],
) -> int:
    site = Site.objects.owned_by(org).filter(slug=entry["slug"]).first()
    if site is not None:
        return site.machines.count()
    values = {
        "slug": entry["slug"],
        "name": entry["name"],
        "street": entry["street"],
        "postcode": entry["postcode"],
        "city": entry.get("city", ""),
        "commune": communes.get(entry.get("commune_nis", "")),
        "latitude": Decimal(str(entry["latitude"])),
        "longitude": Decimal(str(entry["longitude"])),
        "access_type": entry.get("access_type", "restricted"),
        "wheelchair_access": entry.get("wheelchair_access", "unknown"),
        "languages": entry.get("languages", []),
        "email": entry.get("email", ""),
        "phone": entry.get("phone", ""),
        "description": _text(entry.get("description")),
    }
    site = services.create_site(
        actor=actor,
        organization=org,
        values=values,
        is_demo=True,
        processes=[processes[c] for c in entry.get("processes", [])],
    )
    services.set_opening_hours(
        actor=actor,
        site=site,
        periods=[
            services.Period(
                weekday=h["weekday"],
                opens=time.fromisoformat(h["opens"]),
                closes=time.fromisoformat(h["closes"]),
            )
            for h in entry.get("opening_hours", [])
        ],
    )
    for closure in entry.get("closures", []):
        services.add_closure(
            actor=actor,
            site=site,
            start_date=_date(closure["start"]),
            end_date=_date(closure["end"]),
            reason=closure.get("reason", ""),
        )
    count = 0
    for m in entry.get("machines", []):
        machine = services.create_machine(
            actor=actor,
            site=site,
            process=processes[m["process"]],
            is_demo=True,
            values=_machine_values(m),
            materials=[materials[c] for c in m.get("materials", [])],
            extra_processes=[processes[c] for c in m.get("extra_processes", [])],
        )
        for block in m.get("unavailability", []):
            services.add_unavailability(
                actor=actor,
                machine=machine,
                starts_at=_aware(block["start"]),
                ends_at=_aware(block["end"]),
                note=block.get("reason", ""),
            )
        count += 1
    return count


def _date(value: str) -> date:
    parsed = parse_date(value)
    assert parsed is not None, value
    return parsed


def _aware(value: str) -> datetime:
    parsed = parse_datetime(value)
    assert parsed is not None, value
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _machine_values(m: dict[str, Any]) -> dict[str, Any]:
    keys = [
        "name",
        "make",
        "model",
        "year",
        "quantity",
        "condition",
        "envelope_x_mm",
        "envelope_y_mm",
        "envelope_z_mm",
        "laser_power_w",
        "spindle_power_w",
        "axes",
        "requires_trained_operator",
    ]
    values = {k: m[k] for k in keys if m.get(k) is not None}
    values["tolerance_class"] = m.get("tolerance_class") or ""
    values["description"] = _text(m.get("description"))
    if m.get("max_thickness_mm") is not None:
        values["max_thickness_mm"] = Decimal(str(m["max_thickness_mm"]))
    if m.get("hourly_rate_eur") is not None:
        values["hourly_rate"] = Decimal(str(m["hourly_rate_eur"]))
    return values


def demo_counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.filter(is_demo=True).count(),
        "sites": Site.objects.unscoped("counting demo data").filter(is_demo=True).count(),
        "machines": Machine.objects.unscoped("counting demo data").filter(is_demo=True).count(),
    }
