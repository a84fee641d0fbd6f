"""Reads of orders and dispatch: who can do a work order, and why.

Candidates are computed from what the network shares with its coordinators (the platform
dispatches on behalf of the network, see :data:`DISPATCHER`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.core.actor import Actor
from reproduce.core.permissions import NetworkRoleName, has_perm
from reproduce.designs.models import DesignVersion, Operation, OperationKind
from reproduce.designs.selectors import _machine_ok, requirements_of
from reproduce.network.models import Machine, OpeningHours, Site, Skill
from reproduce.network.selectors import CapabilityQuery, find_capabilities, haversine_km
from reproduce.orders.models import (
    OPEN_WORK_STATES,
    Offer,
    OfferState,
    Order,
    OrderState,
    WorkOrder,
    WorkOrderState,
)

# The platform dispatching for the network sees what the network shares with coordinators.
DISPATCHER = Actor(network_roles=frozenset({NetworkRoleName.COORDINATOR.value}))
LOAD_WINDOW_DAYS = 14
# Candidates listed for the coordinator's information but never offered the work.
UNFIT = ("untrained", "uncertified")


@dataclass
class Candidate:
    site: Site
    machines: list[Machine] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0
    distance_km: float | None = None
    load: float | None = None  # booked share of the site's opening time, next two weeks
    price: Decimal | None = None
    asked: str = ""  # the state of an earlier offer to this site for the same work order


def _query(op: Operation, version: DesignVersion, **narrow: Any) -> CapabilityQuery:
    general = version.general_tolerance if op.kind == OperationKind.FABRICATION else ""
    assert op.process is not None
    values: dict[str, Any] = {
        "process": op.process.code,
        "material": op.material.code if op.material_id and op.material else "",
        "min_x_mm": op.min_x_mm,
        "min_y_mm": op.min_y_mm,
        "min_z_mm": op.min_z_mm,
        "tolerance": op.tolerance_class or general,
        "limit": 50,
    }
    values.update(narrow)
    return CapabilityQuery(**values)


def _trained_sites(op: Operation, org_ids: set[int]) -> set[int]:
    """Organisations with a validated skill in the operation's process."""
    return set(
        Skill.objects.unscoped("who is trained, for dispatch")
        .filter(organization_id__in=org_ids, process_id=op.process_id, validated_at__isnull=False)
        .values_list("organization_id", flat=True)
    )


def _capable(op: Operation, version: DesignVersion) -> list[Candidate]:
    out = []
    for match in find_capabilities(DISPATCHER, _query(op, version)):
        machines = [m for m in match.machines if _machine_ok(m, op)]
        if (op.min_power_w or op.thickness_mm) and not machines:
            continue
        out.append(Candidate(site=match.site, machines=machines, reasons=list(match.reasons)))
    needs_training = op.needs_trained_operator
    if out and (
        needs_training or any(m.requires_trained_operator for c in out for m in c.machines)
    ):
        trained = _trained_sites(op, {c.site.organization_id for c in out})
        for c in out:
            if (needs_training or all(m.requires_trained_operator for m in c.machines)) and (
                c.site.organization_id not in trained
            ):
                c.asked = "untrained"
    return out


def _holds(site: Site, certification: str) -> bool:
    held = {c.strip().casefold() for c in site.certifications.split(",") if c.strip()}
    return certification.strip().casefold() in held


def _mark_uncertified(op: Operation, found: list[Candidate]) -> None:
    """A site without the certification the operation requires is never offered it."""
    if not op.certification:
        return
    for c in found:
        if _holds(c.site, op.certification):
            c.reasons.append(_("Certified %(cert)s") % {"cert": op.certification})
        else:  # shown as the candidate's state ("not certified"), not as a reason
            c.asked = "uncertified"


def _neighbour_sites(work_order: WorkOrder) -> list[Site]:
    """For a manual operation (no machine): the workshops already busy with the same part —
    those it was given to, else those it is offered to — so that it does not travel for a
    bit of assembly or packing. With none yet, the sites open to the public."""
    same_part = WorkOrder.objects.unscoped("sites of the same manufacturing order").filter(
        manufacturing_order=work_order.manufacturing_order
    )
    ids = list(same_part.filter(site__isnull=False).values_list("site_id", flat=True))
    if not ids:
        ids = list(
            Offer.objects.unscoped("sites asked for the same part")
            .filter(work_order__in=same_part, state__in=[OfferState.OPEN, OfferState.ACCEPTED])
            .values_list("site_id", flat=True)
        )
    if ids:
        return list(Site.objects.unscoped("sites already chosen").filter(pk__in=ids))
    return list(
        Site.objects.visible_to(DISPATCHER).filter(opening_hours__isnull=False).distinct()[:20]
    )


def _capacity_minutes(site_ids: list[int]) -> dict[int, float]:
    weekly: dict[int, float] = defaultdict(float)
    for row in OpeningHours.objects.unscoped("opening hours for load").filter(site_id__in=site_ids):
        minutes = (row.closes.hour * 60 + row.closes.minute) - (
            row.opens.hour * 60 + row.opens.minute
        )
        weekly[row.site_id] += max(minutes, 0)
    return {pk: weekly[pk] * LOAD_WINDOW_DAYS / 7 for pk in site_ids}


def _booked_minutes(site_ids: list[int]) -> dict[int, int]:
    horizon = timezone.now() + timedelta(days=LOAD_WINDOW_DAYS)
    rows = (
        WorkOrder.objects.unscoped("load of candidate sites")
        .filter(
            site_id__in=site_ids,
            state__in=[WorkOrderState.ACCEPTED, WorkOrderState.IN_PROGRESS],
        )
        .filter(Q(due_at__lte=horizon) | Q(due_at__isnull=True))
        .values("site_id")
        .annotate(total=Sum("minutes"))
    )
    return {row["site_id"]: int(row["total"] or 0) for row in rows}


def _origin(work_order: WorkOrder) -> Site | None:
    pred = work_order.predecessors.filter(site__isnull=False).select_related("site").first()
    return pred.site if pred is not None else None


def _sites_on_same_part(work_order: WorkOrder) -> set[int]:
    """Sites given, or asked for, other work orders of the same manufacturing order."""
    same_part = WorkOrder.objects.unscoped("sites of the same manufacturing order").filter(
        manufacturing_order_id=work_order.manufacturing_order_id
    )
    given = set(same_part.filter(site__isnull=False).values_list("site_id", flat=True))
    asked = Offer.objects.unscoped("sites asked for the same part").filter(
        work_order__in=same_part.exclude(pk=work_order.pk),
        state__in=[OfferState.OPEN, OfferState.ACCEPTED, OfferState.COUNTERED],
    )
    return given | set(asked.values_list("site_id", flat=True))


def _rank(work_order: WorkOrder, found: list[Candidate]) -> list[Candidate]:
    """Score = closeness to the previous operation, free capacity, price (higher is better)."""
    ids = [c.site.pk for c in found]
    capacity = _capacity_minutes(ids)
    booked = _booked_minutes(ids)
    origin = _origin(work_order)
    busy = _sites_on_same_part(work_order)
    for c in found:
        score = 100.0
        if c.site.pk in busy:
            # Keeping a part in one workshop saves transport and hand-overs.
            score += 25
            c.reasons.append(_("Already works on this part"))
        if origin is not None:
            c.distance_km = haversine_km(
                float(origin.latitude),
                float(origin.longitude),
                float(c.site.latitude),
                float(c.site.longitude),
            )
            score -= 2 * c.distance_km
            c.reasons.append(
                _("%(km).1f km from the previous operation (%(site)s)")
                % {"km": c.distance_km, "site": origin.name}
            )
        if capacity.get(c.site.pk):
            c.load = booked.get(c.site.pk, 0) / capacity[c.site.pk]
            score -= 40 * min(c.load, 2)
            c.reasons.append(
                _("Load over the next two weeks: %(pct)s %%") % {"pct": round(100 * c.load)}
            )
        else:
            score -= 30
            c.reasons.append(_("No opening hours published"))
        rates = [m.hourly_rate for m in c.machines if m.hourly_rate]
        if rates:
            c.price = (min(rates) * Decimal(work_order.minutes) / 60).quantize(Decimal("0.01"))
            score -= min(float(c.price) / 20, 30)
            c.reasons.append(_("Estimated price: €%(price)s") % {"price": c.price})
        if c.asked == "uncertified":
            score -= 2000
        if c.asked == "untrained":
            score -= 1000
        c.score = round(score, 1)
    return sorted(found, key=lambda c: (-c.score, c.site.name))


def candidates(work_order: WorkOrder) -> list[Candidate]:
    """Sites able to do the work order, best first, with their reasons. Sites already asked
    carry the state of that offer in ``asked``; untrained ones are last and marked."""
    op = work_order.operation
    version = work_order.manufacturing_order.version
    if op.process_id is None:
        found = [
            Candidate(site=s, reasons=[_("Manual operation: any workshop can do it")])
            for s in _neighbour_sites(work_order)
        ]
    else:
        found = _capable(op, version)
    _mark_uncertified(op, found)
    asked = dict(
        Offer.objects.unscoped("earlier offers of one work order")
        .filter(work_order=work_order)
        .order_by("created_at")
        .values_list("site_id", "state")
    )
    ranked = _rank(work_order, found)
    for c in ranked:
        if c.site.pk in asked and c.asked not in UNFIT:
            c.asked = asked[c.site.pk]
    return [c for c in ranked if c.asked not in UNFIT] + [c for c in ranked if c.asked in UNFIT]


def candidate_for(work_order: WorkOrder, site: Site) -> Candidate | None:
    for c in candidates(work_order):
        if c.site.pk == site.pk and c.asked not in UNFIT:
            return c
    return None


def _why_not(op: Operation, version: DesignVersion) -> str:
    """Which requirement no site meets, checking the wider queries first."""
    assert op.process is not None
    if op.certification and _capable(op, version):
        return _("no site able to do it holds the certification %(cert)s") % {
            "cert": op.certification
        }
    if not find_capabilities(DISPATCHER, CapabilityQuery(process=op.process.code, limit=1)):
        return _("no workshop of the network offers %(process)s") % {"process": op.process}
    if op.material_id and not find_capabilities(
        DISPATCHER, _query(op, version, min_x_mm=None, min_y_mm=None, min_z_mm=None, tolerance="")
    ):
        return _("no machine for %(process)s works %(material)s") % {
            "process": op.process,
            "material": op.material,
        }
    return _("no machine is large, precise or powerful enough")


def unmakeable(version: DesignVersion) -> list[str]:
    """A message per operation of ``version`` that no site can do, saying which and why."""
    out = []
    for op in version.operations.select_related("process", "material").order_by("position"):
        if op.process_id is None:
            continue
        found = _capable(op, version)
        _mark_uncertified(op, found)
        if any(c.asked != "uncertified" for c in found):
            continue
        out.append(
            _("%(design)s %(number)s, operation “%(name)s” (%(reqs)s): %(why)s.")
            % {
                "design": version.design.name,
                "number": version.number,
                "name": op.name,
                "reqs": ", ".join(requirements_of(op, version.general_tolerance)),
                "why": _why_not(op, version),
            }
        )
    return out


# ---------------------------------------------------------------- lists


def orders_for(actor: Actor, *, state: str = "") -> QuerySet[Order]:
    orders = Order.objects.visible_to(actor).select_related("customer")
    if state:
        orders = orders.filter(state=state)
    return orders


def dispatch_queue(actor: Actor) -> QuerySet[WorkOrder]:
    """Work orders a coordinator must act on: to dispatch, no site found, counter-proposals."""
    countered = Offer.objects.unscoped("countered offers").filter(state=OfferState.COUNTERED)
    return (
        WorkOrder.objects.visible_to(actor)
        .filter(
            Q(state__in=[WorkOrderState.WAITING, WorkOrderState.UNASSIGNED])
            | Q(pk__in=countered.values("work_order_id"))
        )
        .filter(order__state=OrderState.RELEASED)
        .select_related("order", "site", "operation__process")
        .order_by("due_at", "pk")
    )


def offers_for(actor: Actor, *, live: bool = True) -> QuerySet[Offer]:
    """The offers made to the actor's organisations (a site's inbox)."""
    offers = Offer.objects.owned_by(actor.organization_ids).select_related(
        "work_order__order", "work_order__operation__process", "site", "machine"
    )
    if live:
        offers = offers.filter(state__in=[OfferState.OPEN, OfferState.COUNTERED])
    return offers.order_by("deadline", "pk")


def work_for(actor: Actor) -> QuerySet[WorkOrder]:
    """Work accepted by the actor's organisations that is not finished."""
    return (
        WorkOrder.objects.unscoped("filtered to the actor's sites just below")
        .filter(site__organization__in=list(actor.organization_ids), state__in=OPEN_WORK_STATES)
        .select_related("order", "site", "machine", "operation__process")
        .order_by("planned_start", "due_at", "pk")
    )


def can_manage(actor: Actor) -> bool:
    return has_perm(actor, "order.manage")
