"""Writes to the network registry. Each function is one transaction and one audit event."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from reproduce.accounts.models import Organization
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.core.sanitize import clean_html, plain_text
from reproduce.core.text import normalize
from reproduce.network.models import (
    Audience,
    Closure,
    FieldGroup,
    Machine,
    MachineUnavailability,
    Material,
    OpeningHours,
    Process,
    SharingPolicy,
    Site,
    Skill,
)
from reproduce.network.taxonomy import commune_for_postcode

SITE_FIELDS = [
    "name",
    "description",
    "street",
    "postcode",
    "city",
    "latitude",
    "longitude",
    "access_type",
    "wheelchair_access",
    "languages",
    "email",
    "phone",
    "certifications",
    "is_listed",
]
MACHINE_FIELDS = [
    "name",
    "make",
    "model",
    "year",
    "quantity",
    "condition",
    "description",
    "envelope_x_mm",
    "envelope_y_mm",
    "envelope_z_mm",
    "max_thickness_mm",
    "laser_power_w",
    "spindle_power_w",
    "axes",
    "tolerance_class",
    "properties",
    "hourly_rate",
    "requires_trained_operator",
]


def _unique_slug(model: Any, base: str) -> str:
    slug = slugify(base)[:70] or "site"
    candidate, n = slug, 2
    while model.objects.unscoped("slug uniqueness is global").filter(slug=candidate).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _clean_site_values(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if "name" in values:
        values["name"] = plain_text(values["name"])
    if "description" in values:
        values["description"] = clean_html(values["description"])
    return values


@transaction.atomic
def create_site(
    *,
    actor: Actor,
    organization: Organization,
    values: dict[str, Any],
    processes: list[Process] | None = None,
    is_demo: bool = False,
) -> Site:
    """Register a new site (workshop) of ``organization``."""
    require(actor, "site.edit", organization.pk)
    values = _clean_site_values(values)
    site = Site(
        organization=organization,
        is_demo=is_demo,
        slug=values.pop("slug", None) or _unique_slug(Site, values.get("name", "")),
        **{k: v for k, v in values.items() if k in SITE_FIELDS},
    )
    if site.commune_id is None and "commune" not in values:
        site.commune = commune_for_postcode(site.postcode)
    elif "commune" in values:
        site.commune = values["commune"]
    site.full_clean()
    site.save()
    if processes:
        site.processes.set(processes)
    reindex_site(site)
    audit.record(
        actor=actor,
        action="site.created",
        obj=site,
        organization_id=organization.pk,
        changes=audit.snapshot(site, ["name", "street", "postcode", "latitude", "longitude"]),
    )
    return site


@transaction.atomic
def update_site(
    *, actor: Actor, site: Site, values: dict[str, Any], processes: list[Process] | None = None
) -> Site:
    """Change a site's details; the map and search see the change at once."""
    require(actor, "site.edit", site.organization_id)
    before = audit.snapshot(site, [*SITE_FIELDS, "commune_id"])
    values = _clean_site_values(values)
    for key, value in values.items():
        if key in SITE_FIELDS:
            setattr(site, key, value)
    if "commune" in values:
        site.commune = values["commune"]
    elif "postcode" in values and before.get("postcode") != site.postcode:
        site.commune = commune_for_postcode(site.postcode)
    site.full_clean(exclude=["slug"])
    site.save()
    if processes is not None:
        site.processes.set(processes)
    reindex_site(site)
    audit.record(
        actor=actor,
        action="site.updated",
        obj=site,
        organization_id=site.organization_id,
        changes=audit.diff(before, audit.snapshot(site, [*SITE_FIELDS, "commune_id"])),
    )
    return site


@dataclass(frozen=True)
class Period:
    weekday: int
    opens: time
    closes: time


@transaction.atomic
def set_opening_hours(*, actor: Actor, site: Site, periods: list[Period]) -> None:
    """Replace a site's weekly opening hours (overlapping periods on one day are refused)."""
    require(actor, "site.edit", site.organization_id)
    by_day: dict[int, list[Period]] = {}
    for period in periods:
        if period.closes <= period.opens:
            raise ValidationError(
                _("A site must close after it opens."), code="closes_before_opens"
            )
        by_day.setdefault(period.weekday, []).append(period)
    for day_periods in by_day.values():
        day_periods.sort(key=lambda p: p.opens)
        for earlier, later in itertools.pairwise(day_periods):
            if later.opens < earlier.closes:
                raise ValidationError(
                    _("Two opening periods of the same day overlap."), code="overlapping_periods"
                )
    before = [str(h) for h in site.opening_hours.all()]
    site.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(site=site, weekday=p.weekday, opens=p.opens, closes=p.closes)
            for p in periods
        ]
    )
    Site.objects.unscoped("touch updated_at").filter(pk=site.pk).update(updated_at=timezone.now())
    audit.record(
        actor=actor,
        action="site.opening_hours_set",
        obj=site,
        organization_id=site.organization_id,
        changes={"opening_hours": [before, [str(h) for h in site.opening_hours.all()]]},
    )


@transaction.atomic
def add_closure(
    *, actor: Actor, site: Site, start_date: date, end_date: date, reason: str = ""
) -> Closure:
    require(actor, "site.edit", site.organization_id)
    closure = Closure(
        site=site, start_date=start_date, end_date=end_date, reason=plain_text(reason)
    )
    closure.full_clean()
    closure.save()
    audit.record(
        actor=actor,
        action="site.closure_added",
        obj=closure,
        organization_id=site.organization_id,
        changes=audit.snapshot(closure, ["site_id", "start_date", "end_date", "reason"]),
    )
    return closure


@transaction.atomic
def remove_closure(*, actor: Actor, closure: Closure) -> None:
    require(actor, "site.edit", closure.site.organization_id)
    audit.record(
        actor=actor,
        action="site.closure_removed",
        obj=closure,
        organization_id=closure.site.organization_id,
        changes=audit.snapshot(closure, ["site_id", "start_date", "end_date"]),
    )
    closure.delete()


def _check_same_network_refs(site: Site, organization_id: int) -> None:
    if site.organization_id != organization_id:
        raise ValidationError(
            _("This site belongs to another organisation."), code="foreign_reference"
        )


@transaction.atomic
def create_machine(
    *,
    actor: Actor,
    site: Site,
    process: Process,
    values: dict[str, Any],
    materials: list[Material] | None = None,
    extra_processes: list[Process] | None = None,
    is_demo: bool = False,
) -> Machine:
    """Add a machine to a site of the actor's organisation."""
    require(actor, "machine.edit", site.organization_id)
    machine = Machine(
        site=site,
        process=process,
        is_demo=is_demo,
        **{k: v for k, v in values.items() if k in MACHINE_FIELDS},
    )
    machine.name = plain_text(machine.name)
    machine.description = clean_html(machine.description)
    machine.full_clean()
    machine.save()
    machine.materials.set(materials or [])
    machine.extra_processes.set(extra_processes or [])
    reindex_site(site)
    audit.record(
        actor=actor,
        action="machine.created",
        obj=machine,
        organization_id=site.organization_id,
        changes=audit.snapshot(machine, ["name", "site_id", "process_id", "make", "model"]),
    )
    return machine


@transaction.atomic
def update_machine(
    *,
    actor: Actor,
    machine: Machine,
    values: dict[str, Any],
    process: Process | None = None,
    site: Site | None = None,
    materials: list[Material] | None = None,
    extra_processes: list[Process] | None = None,
) -> Machine:
    """Change a machine. Moving it to another site is allowed within the same organisation."""
    require(actor, "machine.edit", machine.site.organization_id)
    tracked = [*MACHINE_FIELDS, "process_id", "site_id"]
    before = audit.snapshot(machine, tracked)
    old_site = machine.site
    if site is not None:
        _check_same_network_refs(site, machine.site.organization_id)
        machine.site = site
    if process is not None:
        machine.process = process
    for key, value in values.items():
        if key in MACHINE_FIELDS:
            setattr(machine, key, value)
    machine.name = plain_text(machine.name)
    machine.description = clean_html(machine.description)
    machine.full_clean()
    machine.save()
    if materials is not None:
        machine.materials.set(materials)
    if extra_processes is not None:
        machine.extra_processes.set(extra_processes)
    reindex_site(machine.site)
    if old_site.pk != machine.site_id:
        reindex_site(old_site)
    audit.record(
        actor=actor,
        action="machine.updated",
        obj=machine,
        organization_id=machine.site.organization_id,
        changes=audit.diff(before, audit.snapshot(machine, tracked)),
    )
    return machine


@transaction.atomic
def delete_machine(*, actor: Actor, machine: Machine) -> None:
    require(actor, "machine.edit", machine.site.organization_id)
    site = machine.site
    audit.record(
        actor=actor,
        action="machine.deleted",
        obj=machine,
        organization_id=site.organization_id,
        changes=audit.snapshot(machine, ["name", "site_id", "process_id"]),
    )
    machine.delete()
    reindex_site(site)


@transaction.atomic
def add_unavailability(
    *,
    actor: Actor,
    machine: Machine,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = MachineUnavailability.Reason.MAINTENANCE,
    note: str = "",
) -> MachineUnavailability:
    """Block a machine for a period (operators may report a breakdown)."""
    require(actor, "machine.report_unavailability", machine.site.organization_id)
    block = MachineUnavailability(
        machine=machine, starts_at=starts_at, ends_at=ends_at, reason=reason, note=plain_text(note)
    )
    block.full_clean()
    block.save()
    audit.record(
        actor=actor,
        action="machine.unavailability_added",
        obj=block,
        organization_id=machine.site.organization_id,
        changes=audit.snapshot(block, ["machine_id", "starts_at", "ends_at", "reason"]),
    )
    return block


@transaction.atomic
def remove_unavailability(*, actor: Actor, block: MachineUnavailability) -> None:
    org_id = block.machine.site.organization_id
    require(actor, "machine.report_unavailability", org_id)
    audit.record(
        actor=actor,
        action="machine.unavailability_removed",
        obj=block,
        organization_id=org_id,
        changes=audit.snapshot(block, ["machine_id", "starts_at", "ends_at"]),
    )
    block.delete()


@transaction.atomic
def set_sharing(
    *,
    actor: Actor,
    organization: Organization,
    group: str,
    audience: str,
    shared_with: list[Organization] | None = None,
) -> SharingPolicy:
    """Choose who sees one group of the organisation's data."""
    require(actor, "sharing.edit", organization.pk)
    if group not in FieldGroup.values or audience not in Audience.values:
        raise ValidationError(_("Unknown data group or audience."), code="invalid_choice")
    named = [o for o in (shared_with or []) if o.pk != organization.pk]
    if audience == Audience.NAMED and not named:
        raise ValidationError(
            _("Name at least one organisation, or choose another audience."),
            code="no_organisation_named",
        )
    policy, _created = SharingPolicy.objects.unscoped("upsert of own policy").update_or_create(
        organization=organization, group=group, defaults={"audience": audience}
    )
    policy.shared_with.set(named if audience == Audience.NAMED else [])
    audit.record(
        actor=actor,
        action="sharing.set",
        obj=policy,
        organization_id=organization.pk,
        changes={"group": group, "audience": audience, "shared_with": sorted(o.pk for o in named)},
    )
    return policy


@transaction.atomic
def declare_skill(
    *, actor: Actor, organization: Organization, user: Any, process: Process, level: str
) -> Skill:
    """A person declares (or updates) a skill; a manager validates it later."""
    if user.pk != actor.user_id:
        require(actor, "skill.validate", organization.pk)
    elif actor.role_in(organization.pk) is None:
        require(actor, "skill.declare", organization.pk)
    skill, _created = Skill.objects.unscoped("upsert").update_or_create(
        organization=organization,
        user=user,
        process=process,
        defaults={"level": level, "validated_by": None, "validated_at": None},
    )
    audit.record(
        actor=actor,
        action="skill.declared",
        obj=skill,
        organization_id=organization.pk,
        changes={"user": user.pk, "process": process.code, "level": level},
    )
    return skill


@transaction.atomic
def validate_skill(*, actor: Actor, skill: Skill) -> Skill:
    require(actor, "skill.validate", skill.organization_id)
    skill.validated_by = actor.user
    skill.validated_at = timezone.now()
    skill.save(update_fields=["validated_by", "validated_at"])
    audit.record(
        actor=actor, action="skill.validated", obj=skill, organization_id=skill.organization_id
    )
    return skill


def _terms_text(terms: list[Any]) -> list[str]:
    parts: list[str] = []
    for term in terms:
        parts += [term.label_fr, term.label_nl, term.label_en, term.code.replace("-", " ")]
        parts += list(term.synonyms or [])
    return parts


def _joined(parts: list[str]) -> str:
    # Leading and trailing spaces let a search ask for whole words with " word ".
    return " " + " ".join(dict.fromkeys(normalize(p) for p in parts if p)) + " "


def reindex_site(site: Site) -> None:
    """Rebuild the accent-free search texts of a site (FR/NL/EN) and of its machines."""
    parts: list[str] = [site.name, site.organization.name, site.street, site.postcode, site.city]
    commune = site.commune
    if commune is not None:
        parts += [commune.name_fr, commune.name_nl, commune.name_en]
    parts += _terms_text(list(site.processes.all()))
    site_text = _joined(parts)
    Site.objects.unscoped("reindex").filter(pk=site.pk).update(search_text=site_text)
    site.search_text = site_text
    # A machine's own words only (name, make, model): its process and materials are matched
    # through the taxonomy by the search, which keeps this text short and the scan fast.
    for machine in site.machines.all():
        text = _joined([machine.name, machine.make, machine.model])
        if text != machine.search_text:
            Machine.objects.unscoped("reindex").filter(pk=machine.pk).update(search_text=text)
