"""Reads of the network registry, always on behalf of an actor (see core.tenancy)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Exists, FloatField, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reproduce.core.actor import Actor
from reproduce.core.text import tokens
from reproduce.network.models import (
    DEFAULT_AUDIENCE,
    TOLERANCE_RANK,
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
)

EARTH_RADIUS_KM = 6371.0088


def visible_groups(actor: Actor, organization_ids: set[int]) -> dict[int, set[str]]:
    """For each organisation, the data groups ``actor`` may see (two light queries at most)."""
    others = [pk for pk in organization_ids if pk not in actor.organization_ids]
    policies = SharingPolicy.objects.unscoped("reading sharing choices")
    chosen: dict[int, dict[str, str]] = defaultdict(dict)
    named_ids: list[int] = []
    for pk, org_id, group, audience in policies.filter(organization_id__in=others).values_list(
        "pk", "organization_id", "group", "audience"
    ):
        chosen[org_id][group] = audience
        if audience == Audience.NAMED and actor.organization_ids:
            named_ids.append(pk)
    # Only "named" choices need their list of organisations, and only for members.
    named_for_me: set[tuple[int, str]] = set()
    if named_ids:
        through = SharingPolicy.shared_with.through
        named_for_me = set(
            through.objects.filter(
                sharingpolicy_id__in=named_ids, organization_id__in=list(actor.organization_ids)
            ).values_list("sharingpolicy__organization_id", "sharingpolicy__group")
        )
    every_group = frozenset(FieldGroup.values)
    open_audiences = {Audience.PUBLIC.value}
    if actor.is_network_member:
        open_audiences.add(Audience.NETWORK.value)
    defaults = {group.value: audience.value for group, audience in DEFAULT_AUDIENCE.items()}
    result: dict[int, set[str]] = {
        pk: set(every_group) for pk in organization_ids if pk in actor.organization_ids
    }
    for org_id in others:
        own_choices = chosen.get(org_id, {})
        result[org_id] = {
            group
            for group in every_group
            if own_choices.get(group, defaults[group]) in open_audiences
            or (org_id, group) in named_for_me
        }
    return result


def process_with_descendants(code: str) -> list[int]:
    """The process and every narrower process (CNC milling includes 5-axis milling)."""
    rows = list(Process.objects.values_list("pk", "code", "parent_id"))
    ids = {pk for pk, c, _ in rows if c == code}
    changed = True
    while changed:
        new = {pk for pk, _, parent in rows if parent in ids} - ids
        changed = bool(new)
        ids |= new
    return sorted(ids)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass
class CapabilityQuery:
    """What a person looks for. Every field is optional; empty means "any"."""

    text: str = ""
    process: str = ""
    material: str = ""
    min_x_mm: int | None = None
    min_y_mm: int | None = None
    min_z_mm: int | None = None
    tolerance: str = ""
    commune: str = ""  # NIS code
    near_lat: float | None = None
    near_lon: float | None = None
    radius_km: float | None = None
    available_from: date | None = None
    available_to: date | None = None
    limit: int = 200

    @property
    def wants_machine(self) -> bool:
        return bool(
            self.material or self.min_x_mm or self.min_y_mm or self.min_z_mm or self.tolerance
        )

    @property
    def has_window(self) -> bool:
        return self.available_from is not None and self.available_to is not None


@dataclass
class SiteMatch:
    site: Site
    machines: list[Machine] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None
    free_days: int | None = None  # days open and not blocked in the window (None: not shared)
    score: float = 0.0
    groups: set[str] = field(default_factory=set)


def ids_q(field: str, ids: Iterable[int]) -> Q:
    """``field IN ids`` with one parameter on PostgreSQL (an array), whatever the number of ids.

    A list of thousands of ids costs the driver more to send than the database to use; SQLite
    takes the plain list.
    """
    values = sorted(ids)
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", (values,))})
    return Q(**{f"{field}__in": values})


def _text_q(words: list[str], prefix: str = "") -> Q:
    q = Q()
    for word in words:
        q &= Q(**{f"{prefix}search_text__contains": word})
    return q


def _machines_knowing(word: str) -> set[int]:
    """Ids of machines whose own words, process or materials contain ``word`` (any owner)."""
    raw = Machine.objects.unscoped("candidate ids; visibility applied by the caller").order_by()
    ids = set(raw.filter(search_text__contains=word).values_list("pk", flat=True))
    processes = list(
        Process.objects.filter(search_text__contains=word).values_list("pk", flat=True)
    )
    if processes:
        ids |= set(raw.filter(process_id__in=processes).values_list("pk", flat=True))
        ids |= set(
            Machine.extra_processes.through.objects.filter(process_id__in=processes).values_list(
                "machine_id", flat=True
            )
        )
    materials = list(
        Material.objects.filter(search_text__contains=word).values_list("pk", flat=True)
    )
    if materials:
        ids |= set(
            Machine.materials.through.objects.filter(material_id__in=materials).values_list(
                "machine_id", flat=True
            )
        )
    return ids


def _text_machine_ids(actor: Actor, words: list[str]) -> set[int]:
    """Visible machines matching every word: each word in the machine's own words, process or
    materials, or — for a word that no visible machine knows, such as a commune or a site's
    name ("molenbeek laser") — in its site's text.

    Letting every word match the site's text would make every machine of a site that offers
    laser cutting match "découpe laser", its 3D printers included.
    """
    raw = Machine.objects.unscoped("candidate ids; visibility applied below").order_by()
    visible = Machine.objects.visible_to(actor).order_by()
    result: set[int] | None = None
    for word in words:
        ids = _machines_knowing(word)
        if not ids or not visible.filter(ids_q("pk", ids)).exists():
            sites = Site.objects.unscoped("candidate ids").filter(search_text__contains=word)
            ids = set(raw.filter(site__in=sites.values("pk")).values_list("pk", flat=True))
        result = ids if result is None else result & ids
        if not result:
            return set()
    return result or set()


def _machine_queryset(actor: Actor, query: CapabilityQuery, ids: list[int]) -> QuerySet[Machine]:
    """Visible machines meeting the machine criteria; ``ids``: the process asked and its
    narrower processes."""
    machines = Machine.objects.visible_to(actor)
    if query.process:
        # Two indexed id lookups beat one OR across a join that defeats the process index.
        by_process = set(
            Machine.objects.unscoped("ids only: visibility is applied by the caller's queryset")
            .filter(process_id__in=ids)
            .values_list("pk", flat=True)
        )
        by_process |= set(
            Machine.extra_processes.through.objects.filter(process_id__in=ids).values_list(
                "machine_id", flat=True
            )
        )
        machines = machines.filter(ids_q("pk", by_process))
    if query.material:
        machines = machines.filter(materials__code=query.material)
    if query.tolerance:
        rank = TOLERANCE_RANK.get(query.tolerance, 3)
        machines = machines.filter(
            tolerance_class__in=[c for c, r in TOLERANCE_RANK.items() if r <= rank]
        )
    dims = sorted([query.min_x_mm or 0, query.min_y_mm or 0])
    if dims[1]:
        # The part may be turned 90° on the bed: the larger side must fit the larger axis.
        machines = machines.filter(
            (Q(envelope_x_mm__gte=dims[1]) & Q(envelope_y_mm__gte=dims[0]))
            | (Q(envelope_y_mm__gte=dims[1]) & Q(envelope_x_mm__gte=dims[0]))
        )
    if query.min_z_mm:
        machines = machines.filter(envelope_z_mm__gte=query.min_z_mm)
    return machines.distinct()


def _site_queryset(actor: Actor, query: CapabilityQuery) -> QuerySet[Site]:
    sites = Site.objects.visible_to(actor).select_related("organization", "commune")
    if query.commune:
        sites = sites.filter(commune__nis_code=query.commune)
    if query.near_lat is not None and query.near_lon is not None and query.radius_km:
        dlat = query.radius_km / 111.0
        dlon = query.radius_km / (111.0 * max(math.cos(math.radians(query.near_lat)), 0.1))
        sites = sites.filter(
            latitude__range=(
                Decimal(str(query.near_lat - dlat)),
                Decimal(str(query.near_lat + dlat)),
            ),
            longitude__range=(
                Decimal(str(query.near_lon - dlon)),
                Decimal(str(query.near_lon + dlon)),
            ),
        )
    return sites


@dataclass
class _Candidate:
    """A site that may match, in its lightest form: ranking happens before loading rows."""

    pk: int
    organization_id: int
    latitude: float
    longitude: float
    name: str
    machine_ids: list[int] = field(default_factory=list)
    distance_km: float | None = None
    free_days: int | None = None
    groups: set[str] = field(default_factory=set)
    score: float = 0.0


def find_capabilities(actor: Actor, query: CapabilityQuery) -> list[SiteMatch]:
    """Sites able to do what ``query`` asks, best first, each with the reasons it matches.

    A site matches through a visible machine that meets every machine criterion, or — when
    only a process is asked — through the services it declares. A text query matches the
    site's public text or a visible machine's text (each word in one or the other).

    Every candidate is ranked from light tuples; full rows are loaded for the best ``limit``
    only. A constant number of queries, whatever the size of the network.
    """
    words = tokens(query.text)
    sites = _site_queryset(actor, query)
    by_site: dict[int, list[int]] = defaultdict(list)
    process_ids = process_with_descendants(query.process) if query.process else []
    if query.process or query.wants_machine or words:
        machines = _machine_queryset(actor, query, process_ids)
        if words:
            machines = machines.filter(ids_q("pk", _text_machine_ids(actor, words)))
        if query.commune or query.radius_km:
            machines = machines.filter(site__in=sites.values("pk"))
        for machine_id, site_id in machines.order_by().values_list("pk", "site_id").distinct():
            by_site[site_id].append(machine_id)
        # The ids are at hand: reusing them spares the database a second machine search.
        site_ok = ids_q("pk", by_site)
        if query.process and not query.wants_machine:
            declared = Site.processes.through.objects.filter(process_id__in=process_ids).values(
                "site_id"
            )
            site_ok |= Q(pk__in=declared) & _text_q(words)
        elif words and not (query.process or query.wants_machine):
            site_ok |= _text_q(words)
        sites = sites.filter(site_ok)
    candidates = [
        _Candidate(
            pk=pk,
            organization_id=org,
            latitude=lat,
            longitude=lon,
            name=name,
            machine_ids=sorted(by_site.get(pk, [])),
        )
        # Coordinates as floats in SQL: converting thousands of Decimals costs more than the query.
        for pk, org, lat, lon, name in sites.order_by()
        .annotate(lat=Cast("latitude", FloatField()), lon=Cast("longitude", FloatField()))
        .values_list("pk", "organization_id", "lat", "lon", "name")
    ]
    if query.near_lat is not None and query.near_lon is not None:
        for c in candidates:
            c.distance_km = haversine_km(query.near_lat, query.near_lon, c.latitude, c.longitude)
        if query.radius_km:
            candidates = [
                c
                for c in candidates
                if c.distance_km is not None and c.distance_km <= query.radius_km
            ]
    groups = visible_groups(actor, {c.organization_id for c in candidates})
    for c in candidates:
        c.groups = groups[c.organization_id]
    if query.has_window:
        candidates = _apply_availability(actor, query, candidates)
    for c in candidates:
        c.score = _score(query, c)
    candidates.sort(key=lambda c: (-c.score, c.distance_km or 0.0, c.name))
    return _load_matches(actor, query, candidates[: query.limit])


def _load_matches(actor: Actor, query: CapabilityQuery, best: list[_Candidate]) -> list[SiteMatch]:
    rows = {
        s.pk: s
        for s in Site.objects.visible_to(actor)
        .select_related("organization", "commune")
        .filter(pk__in=[c.pk for c in best])
    }
    machine_ids = [pk for c in best for pk in c.machine_ids]
    machines = (
        {
            m.pk: m
            for m in Machine.objects.visible_to(actor)
            .filter(pk__in=machine_ids)
            .select_related("process")
            .prefetch_related("materials")
        }
        if machine_ids
        else {}
    )
    matches = []
    for c in best:
        m = SiteMatch(
            site=rows[c.pk],
            machines=[machines[pk] for pk in c.machine_ids if pk in machines],
            distance_km=c.distance_km,
            free_days=c.free_days,
            score=c.score,
            groups=c.groups,
        )
        m.reasons = _reasons(query, m)
        matches.append(m)
    return matches


def _window_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)][:366]


def _apply_availability(
    actor: Actor, query: CapabilityQuery, candidates: list[_Candidate]
) -> list[_Candidate]:
    """Keep sites with at least one open, unblocked day in the window (when they share it).

    Sites that do not share their capacity with the actor stay, marked "not shared", so
    that the filter reveals nothing they keep private.
    """
    assert query.available_from is not None and query.available_to is not None
    days = _window_days(query.available_from, query.available_to)
    shared = [c for c in candidates if FieldGroup.CAPACITY in c.groups]
    site_ids = [c.pk for c in shared]
    hours: dict[int, set[int]] = defaultdict(set)
    for site_id, weekday in (
        OpeningHours.objects.unscoped("capacity shared, filtered below")
        .filter(site_id__in=site_ids)
        .values_list("site_id", "weekday")
    ):
        hours[site_id].add(weekday)
    closed: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for site_id, start, end in (
        Closure.objects.unscoped("capacity shared, filtered below")
        .filter(
            site_id__in=site_ids,
            start_date__lte=query.available_to,
            end_date__gte=query.available_from,
        )
        .values_list("site_id", "start_date", "end_date")
    ):
        closed[site_id].append((start, end))
    tz = timezone.get_current_timezone()
    window_start = datetime.combine(query.available_from, time.min, tz)
    window_end = datetime.combine(query.available_to, time.max, tz)
    blocked: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    machine_ids = [pk for c in shared for pk in c.machine_ids]
    for machine_id, start, end in (
        MachineUnavailability.objects.unscoped("capacity shared, filtered below")
        .filter(machine_id__in=machine_ids, starts_at__lt=window_end, ends_at__gt=window_start)
        .values_list("machine_id", "starts_at", "ends_at")
    ):
        blocked[machine_id].append((start, end))
    kept = []
    for c in candidates:
        if FieldGroup.CAPACITY not in c.groups:
            c.free_days = None
            kept.append(c)
            continue
        open_days = [
            d
            for d in days
            if (not hours[c.pk] or d.weekday() in hours[c.pk])
            and not any(s <= d <= e for s, e in closed[c.pk])
        ]
        if c.machine_ids:
            c.machine_ids = [
                pk for pk in c.machine_ids if _has_free_day(open_days, blocked[pk], tz)
            ]
            if not c.machine_ids:
                continue
        c.free_days = len(open_days)
        if open_days:
            kept.append(c)
    return kept


def _has_free_day(days: list[date], blocks: list[tuple[datetime, datetime]], tz: Any) -> bool:
    for day in days:
        start, end = datetime.combine(day, time.min, tz), datetime.combine(day, time.max, tz)
        if not any(b_start <= start and b_end >= end for b_start, b_end in blocks):
            return True
    return False


def _machine_phrase(machine: Machine) -> str:
    if machine.envelope_x_mm and machine.envelope_y_mm:
        return _("%(machine)s (%(x)s × %(y)s mm)") % {
            "machine": machine.name,
            "x": machine.envelope_x_mm,
            "y": machine.envelope_y_mm,
        }
    return machine.name


def _reasons(query: CapabilityQuery, m: SiteMatch) -> list[str]:
    reasons: list[str] = []
    if m.machines:
        first = m.machines[0]
        reasons.append(
            _("%(process)s on %(machine)s")
            % {"process": first.process.label, "machine": _machine_phrase(first)}
        )
        more = len(m.machines) - 1
        if more > 0:
            reasons.append(
                ngettext(
                    "%(count)d other matching machine", "%(count)d other matching machines", more
                )
                % {"count": more}
            )
        if query.material:
            names = {mat.label for mat in first.materials.all() if mat.code == query.material}
            if names:
                reasons.append(_("Works %(material)s") % {"material": ", ".join(sorted(names))})
        if query.min_x_mm or query.min_y_mm:
            reasons.append(
                _("Work envelope %(x)s × %(y)s mm fits %(px)s × %(py)s mm")
                % {
                    "x": first.envelope_x_mm,
                    "y": first.envelope_y_mm,
                    "px": query.min_x_mm or 0,
                    "py": query.min_y_mm or 0,
                }
            )
        if query.min_z_mm:
            reasons.append(
                _("Height %(z)s mm ≥ %(pz)s mm") % {"z": first.envelope_z_mm, "pz": query.min_z_mm}
            )
        if query.tolerance:
            reasons.append(
                _("Tolerance class %(has)s (asked: %(asked)s)")
                % {"has": first.tolerance_class, "asked": query.tolerance}
            )
    elif query.process:
        reasons.append(_("Offers this service"))
    if query.text and not query.process:
        reasons.append(_("Matches “%(text)s”") % {"text": query.text})
    if query.commune and m.site.commune:
        reasons.append(_("In %(commune)s") % {"commune": m.site.commune.name})
    if m.distance_km is not None:
        reasons.append(_("%(km)s km away") % {"km": f"{m.distance_km:.1f}".replace(".", ",")})
    if query.has_window:
        if m.free_days is None:
            reasons.append(_("Availability not shared with you"))
        else:
            reasons.append(_("Open %(days)d days in the period asked") % {"days": m.free_days})
    return reasons


def _score(query: CapabilityQuery, c: _Candidate) -> float:
    score = 10.0 if c.machine_ids else (5.0 if (query.process or query.text) else 1.0)
    score += min(len(c.machine_ids), 5) * 0.5
    if c.distance_km is not None:
        score -= min(c.distance_km, 20.0) / 4
    if query.has_window:
        score += 2.0 if c.free_days else 0.0
    return score


def site_detail(actor: Actor, site: Site) -> dict[str, Any]:
    """What the actor may see of a site: machines, contacts, prices, capacity per sharing."""
    groups = visible_groups(actor, {site.organization_id})[site.organization_id]
    machines: list[Machine] = []
    if FieldGroup.MACHINES in groups:
        machines = list(
            Machine.objects.visible_to(actor)
            .filter(site=site)
            .select_related("process")
            .prefetch_related("materials", "extra_processes")
        )
    today = timezone.localdate()
    closures = (
        list(Closure.objects.visible_to(actor).filter(site=site, end_date__gte=today))
        if FieldGroup.CAPACITY in groups
        else []
    )
    blocks = (
        list(
            MachineUnavailability.objects.visible_to(actor)
            .filter(machine__site=site, ends_at__gte=timezone.now())
            .select_related("machine")
        )
        if FieldGroup.CAPACITY in groups
        else []
    )
    return {
        "site": site,
        "groups": groups,
        "show_contacts": FieldGroup.CONTACTS in groups,
        "show_prices": FieldGroup.PRICES in groups,
        "show_capacity": FieldGroup.CAPACITY in groups,
        "show_machines": FieldGroup.MACHINES in groups,
        "machines": machines,
        "opening_hours": list(site.opening_hours.all()),
        "closures": closures,
        "unavailabilities": blocks,
        "services": list(site.processes.all()),
    }


def processes_in_use() -> QuerySet[Process]:
    return Process.objects.order_by("label_fr")


def materials_all() -> QuerySet[Material]:
    return Material.objects.order_by("category", "label_fr")


def organization_sites(actor: Actor, organization_id: int) -> QuerySet[Site]:
    return (
        Site.objects.owned_by(organization_id)
        .select_related("commune")
        .prefetch_related(
            Prefetch(
                "machines",
                queryset=Machine.objects.unscoped("own org sites").select_related("process"),
            )
        )
    )


def machines_exist_q() -> Exists:
    return Exists(Machine.objects.unscoped("subquery").filter(site=OuterRef("pk")))
