"""API schemas of orders and dispatch (the REST API in ``orders/api.py``).

Prices are decimals in euros, excluding VAT, written as strings in JSON so that no precision
is lost. States are stable codes (``state``) with a label in the caller's language
(``state_label``). Sites and machines are named by their id (``GET /api/v1/sites``).

The functions at the end turn models into these shapes (plain dicts the schemas validate).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from reproduce.core.actor import Actor
from reproduce.core.permissions import NetworkRoleName
from reproduce.designs import configurator
from reproduce.designs.schemas import VersionRef, version_ref
from reproduce.network.models import Machine, Site
from reproduce.orders.models import Offer, Order, OrderLine, WorkOrder
from reproduce.orders.selectors import Candidate

DeclineCode = Literal["no_capacity", "not_manufacturable", "deadline", "other"]

# ---------------------------------------------------------------- references


class OrganizationBrief(Schema):
    id: int
    slug: str
    name: str


class SiteBrief(Schema):
    id: int
    slug: str
    name: str


class MachineBrief(Schema):
    id: int
    name: str


class OrderBrief(Schema):
    id: int
    reference: str
    requested_date: date = Field(description="Delivery wished by the customer")


# ---------------------------------------------------------------- orders


class OrderLineIn(Schema):
    version: int = Field(description="Id of a released design version you may see")
    quantity: int = Field(ge=1, le=10_000, description="Units to make")
    configuration: dict[str, Any] = Field(
        default_factory=dict,
        description="Options chosen, by option code (see the version's configurator); "
        "options left out take their default",
    )


class OrderCreateIn(Schema):
    customer_id: int | None = Field(
        None,
        description="Id of the customer organisation: one of yours (default: your active "
        "organisation); a network coordinator may order on any customer's behalf",
    )
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)
    requested_date: date = Field(description="Delivery wished by (not in the past)")
    delivery_address: str = Field("", max_length=300)
    notes: str = Field("", max_length=4000, description="Notes for the network")
    submit: bool = Field(False, description="Place the order at once (instead of a draft)")
    quote: bool = Field(False, description="Ask the network for a quote at once")


class QuoteIn(Schema):
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2, description="EUR, excl. VAT")
    valid_until: date = Field(description="Last day the customer may accept the quote")
    note: str = Field("", max_length=2000, description="What the price includes")


class CancelIn(Schema):
    reason: str = Field("", max_length=300, description="Why the order is cancelled")


class OnBehalfIn(Schema):
    action: Literal["submit", "request_quote", "accept_quote", "cancel"] = Field(
        description="What the coordinator does for the customer"
    )
    reason: str = Field("", max_length=300, description="For ``cancel``: why")


class QuoteOut(Schema):
    amount: Decimal | None = Field(description="EUR, excl. VAT; null while not quoted yet")
    valid_until: date | None
    note: str


class OrderLineOut(Schema):
    id: int
    version: VersionRef
    quantity: int
    configuration: dict[str, Any] = Field(description="Options chosen, by option code")
    summary: list[str] = Field(description="The options chosen, in words")


class WorkOrderBrief(Schema):
    id: int
    reference: str
    name: str = Field(description="The operation")
    state: str = Field(
        description="waiting, offered, accepted, in_progress, done, unassigned, cancelled"
    )
    state_label: str
    quantity: int
    minutes: int = Field(description="Work time")
    site: SiteBrief | None = Field(description="The site doing it (once accepted)")
    due_at: datetime | None
    planned_start: datetime | None = Field(description="From the network plan")
    planned_end: datetime | None
    late_minutes: int = Field(description="How late the plan finishes it after its due date")


class ManufacturingOrderOut(Schema):
    id: int
    number: int
    version: VersionRef
    quantity: int
    parent: int | None = Field(description="Number of the manufacturing order consuming it")
    work_orders: list[WorkOrderBrief] = Field(description="One per operation, in order")


class OrderOut(Schema):
    id: int
    reference: str
    customer: OrganizationBrief
    state: str = Field(
        description="draft, quote_requested, quoted, submitted, released, completed, cancelled"
    )
    state_label: str
    requested_date: date = Field(description="Delivery wished by")
    planned_end: datetime | None = Field(description="Completion planned by the network plan")
    is_late: bool = Field(description="The plan finishes it after the wished date")
    created_at: datetime
    submitted_at: datetime | None
    released_at: datetime | None


class OrderDetailOut(OrderOut):
    delivery_address: str
    notes: str
    delay_reason: str = Field(description="Why the plan finishes it late, when it does")
    cancel_reason: str
    quote: QuoteOut | None = Field(description="Null when no quote was asked")
    lines: list[OrderLineOut]
    manufacturing_orders: list[ManufacturingOrderOut] = Field(
        description="Filled when the order is released"
    )


class ReleaseOut(Schema):
    order: OrderDetailOut
    work_orders: list[WorkOrderBrief] = Field(description="The work orders just created")


# ---------------------------------------------------------------- dispatch


class OfferIn(Schema):
    site_id: int = Field(description="The site offered the work")
    machine_id: int | None = Field(None, description="A machine of that site (optional)")
    answer_within_hours: int | None = Field(
        None, ge=1, le=24 * 14, description="Deadline to answer (default 48 hours)"
    )
    override: bool = Field(False, description="Offer it to a site that is not a candidate")


class AssignIn(Schema):
    site_id: int
    machine_id: int | None = None
    reason: str = Field(
        min_length=1, max_length=300, description="Why it is assigned without an offer"
    )


class AcceptIn(Schema):
    machine_id: int | None = Field(None, description="The machine of your site that will do it")
    comment: str = Field("", max_length=400)


class DeclineIn(Schema):
    reason: DeclineCode = Field(description="Why not; ``other`` needs a comment")
    comment: str = Field("", max_length=400)


class CounterIn(Schema):
    proposed_end: datetime | None = Field(None, description="When you could finish it")
    proposed_price: Decimal | None = Field(
        None, gt=0, max_digits=10, decimal_places=2, description="Your price (EUR, excl. VAT)"
    )
    comment: str = Field("", max_length=400)


class OfferOut(Schema):
    id: int
    work_order: WorkOrderBrief
    order: OrderBrief
    site: SiteBrief
    machine: MachineBrief | None
    state: str = Field(description="open, accepted, declined, countered, expired, withdrawn")
    state_label: str
    rank: int = Field(description="The site's rank among the candidates")
    reasons: list[str] = Field(description="Why this site was chosen")
    deadline: datetime = Field(description="Answer by")
    price: Decimal | None = Field(description="Estimated price (EUR)")
    decline_reason: str
    comment: str
    proposed_end: datetime | None = Field(description="Counter-proposal: completion")
    proposed_price: Decimal | None = Field(description="Counter-proposal: price (EUR)")
    created_at: datetime
    answered_at: datetime | None


class WorkOrderOut(WorkOrderBrief):
    order: OrderBrief
    machine: MachineBrief | None
    agreed_end: datetime | None = Field(description="Completion promised by the site")
    price: Decimal | None = Field(description="Agreed price (EUR)")
    note: str


class WorkOrderDetailOut(WorkOrderOut):
    version: VersionRef = Field(description="The design version the operation belongs to")
    process: str | None = Field(description="Process code (null for manual work)")
    predecessors: list[int] = Field(description="Ids of the work orders to finish first")
    offers: list[OfferOut] = Field(
        description="Offers of this work order (a site sees only its own)"
    )


class DispatchCandidateOut(Schema):
    site: SiteBrief
    organization: OrganizationBrief
    machines: list[MachineBrief]
    reasons: list[str]
    score: float = Field(description="Higher is better")
    distance_km: float | None = Field(description="From the site of the previous operation")
    load: float | None = Field(description="Booked share of opening time, next two weeks")
    price: Decimal | None = Field(description="Estimated price (EUR)")
    asked: str = Field(
        description="State of an earlier offer to this site, or untrained / uncertified "
        "(never offered automatically); empty when not asked yet"
    )


# ---------------------------------------------------------------- from models to schemas


def sees_everything(actor: Actor) -> bool:
    """Network coordinators read every order, work order and offer (as the models' rules)."""
    return actor.has_network_role(NetworkRoleName.COORDINATOR)


def org_brief(org: Any) -> dict[str, Any]:
    return {"id": org.pk, "slug": org.slug, "name": org.name}


def site_brief(site: Site | None) -> dict[str, Any] | None:
    return None if site is None else {"id": site.pk, "slug": site.slug, "name": site.name}


def machine_brief(machine: Machine | None) -> dict[str, Any] | None:
    return None if machine is None else {"id": machine.pk, "name": machine.name}


def order_brief(order: Order) -> dict[str, Any]:
    return {"id": order.pk, "reference": order.reference, "requested_date": order.requested_date}


def visible_site_ids(actor: Actor, ids: set[int]) -> set[int]:
    """Which of these sites the actor may see (an unlisted site's name is private)."""
    if not ids:
        return ids
    return set(Site.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))


def own_site_ids(actor: Actor, wo: WorkOrder) -> set[int] | None:
    """The site of a work order is shown to coordinators and to that site's organisation:
    a site that lost the work does not learn which workshop took it."""
    if sees_everything(actor):
        return None
    site = wo.site
    return (
        {site.pk} if site is not None and site.organization_id in actor.organization_ids else set()
    )


def work_brief(wo: WorkOrder, sites: set[int] | None = None) -> dict[str, Any]:
    """``sites``: the ids of sites the reader may see (None: every one)."""
    shown = wo.site if wo.site_id and (sites is None or wo.site_id in sites) else None
    return {
        "id": wo.pk,
        "reference": wo.reference,
        "name": wo.name,
        "state": wo.state,
        "state_label": str(wo.get_state_display()),
        "quantity": wo.quantity,
        "minutes": wo.minutes,
        "site": site_brief(shown),
        "due_at": wo.due_at,
        "planned_start": wo.planned_start,
        "planned_end": wo.planned_end,
        "late_minutes": wo.late_minutes,
    }


def order_out(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "reference": order.reference,
        "customer": org_brief(order.customer),
        "state": order.state,
        "state_label": str(order.get_state_display()),
        "requested_date": order.requested_date,
        "planned_end": order.planned_end,
        "is_late": order.is_late,
        "created_at": order.created_at,
        "submitted_at": order.submitted_at,
        "released_at": order.released_at,
    }


def _line_out(line: OrderLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "version": version_ref(line.version),
        "quantity": line.quantity,
        "configuration": line.configuration,
        "summary": [str(s) for s in configurator.summary(line.version, line.configuration)],
    }


def _quote_out(order: Order) -> dict[str, Any] | None:
    if order.quote_amount is None and order.state not in ("quote_requested", "quoted"):
        return None
    return {
        "amount": order.quote_amount,
        "valid_until": order.quote_valid_until,
        "note": order.quote_note,
    }


def order_detail(actor: Actor, order: Order) -> dict[str, Any]:
    """The order with its lines and, once released, its manufacturing and work orders."""
    # Related managers of an order the actor may see: the order carried the check.
    lines = order.lines.select_related("version__design")
    mos = list(order.manufacturing_orders.select_related("version__design", "parent"))
    work = list(order.work_orders.select_related("site"))
    sites = visible_site_ids(actor, {wo.site_id for wo in work if wo.site_id})
    by_mo: dict[int, list[WorkOrder]] = {}
    for wo in work:
        by_mo.setdefault(wo.manufacturing_order_id, []).append(wo)
    return {
        **order_out(order),
        "delivery_address": order.delivery_address,
        "notes": order.notes,
        "delay_reason": order.delay_reason,
        "cancel_reason": order.cancel_reason,
        "quote": _quote_out(order),
        "lines": [_line_out(line) for line in lines],
        "manufacturing_orders": [
            {
                "id": mo.pk,
                "number": mo.number,
                "version": version_ref(mo.version),
                "quantity": mo.quantity,
                "parent": mo.parent.number if mo.parent else None,
                "work_orders": [work_brief(wo, sites) for wo in by_mo.get(mo.pk, [])],
            }
            for mo in mos
        ],
    }


def offer_out(actor: Actor, offer: Offer) -> dict[str, Any]:
    wo = offer.work_order
    return {
        "id": offer.pk,
        "work_order": work_brief(wo, own_site_ids(actor, wo)),
        "order": order_brief(offer.work_order.order),
        "site": site_brief(offer.site),
        "machine": machine_brief(offer.machine),
        "state": offer.state,
        "state_label": str(offer.get_state_display()),
        "rank": offer.rank,
        "reasons": [str(r) for r in offer.reasons or []],
        "deadline": offer.deadline,
        "price": offer.price,
        "decline_reason": offer.decline_reason,
        "comment": offer.comment,
        "proposed_end": offer.proposed_end,
        "proposed_price": offer.proposed_price,
        "created_at": offer.created_at,
        "answered_at": offer.answered_at,
    }


def work_out(actor: Actor, wo: WorkOrder) -> dict[str, Any]:
    return {
        **work_brief(wo, own_site_ids(actor, wo)),
        "order": order_brief(wo.order),
        "machine": machine_brief(wo.machine),
        "agreed_end": wo.agreed_end,
        "price": wo.price,
        "note": wo.note,
    }


def work_detail(actor: Actor, wo: WorkOrder) -> dict[str, Any]:
    """The work order with its offers: all of them for a coordinator, a site's own otherwise."""
    offers = wo.offers.all()
    if not sees_everything(actor):
        offers = offers.filter(organization__in=list(actor.organization_ids))
    offers = offers.select_related("site", "machine", "work_order__order", "work_order__site")
    op = wo.operation
    return {
        **work_out(actor, wo),
        "version": version_ref(wo.manufacturing_order.version),
        "process": op.process.code if op.process_id and op.process else None,
        "predecessors": sorted(wo.predecessors.values_list("pk", flat=True)),
        "offers": [offer_out(actor, o) for o in offers],
    }


def candidate_out(c: Candidate) -> dict[str, Any]:
    return {
        "site": site_brief(c.site),
        "organization": org_brief(c.site.organization),
        "machines": [machine_brief(m) for m in c.machines],
        "reasons": [str(r) for r in c.reasons],
        "score": c.score,
        "distance_km": round(c.distance_km, 1) if c.distance_km is not None else None,
        "load": round(c.load, 3) if c.load is not None else None,
        "price": c.price,
        "asked": c.asked,
    }
