"""Writes of orders and dispatch. Each function is one transaction, checks permissions and
is audited.

Order lifecycle (``ORDER_TRANSITIONS``): draft → quote requested → quoted → submitted →
released → completed, or cancelled. :func:`release_order` explodes the order into
manufacturing orders and one work order per operation. Dispatch: :func:`offer_work_order`
offers a work order to a site; the site :func:`accept_offer` (first acceptance wins),
:func:`decline_offer` or :func:`counter_offer`; an offer left unanswered past its deadline
expires (:func:`expire_overdue_offers`) and the work goes to the next candidate.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.tasks.exceptions import InvalidTask
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.accounts.models import Organization
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import has_perm, require
from reproduce.designs import configurator
from reproduce.designs.models import BomLine, DesignVersion, Operation, OperationKind, VersionState
from reproduce.designs.services import share_with
from reproduce.network.models import Machine, Site
from reproduce.orders.models import (
    DeclineReason,
    ManufacturingOrder,
    Offer,
    OfferState,
    Order,
    OrderLine,
    OrderState,
    WorkOrder,
    WorkOrderState,
)

logger = logging.getLogger(__name__)

MAX_LINES = 50
MAX_QUANTITY = 10_000
DEFAULT_ANSWER_HOURS = 48
WORK_DAY_MINUTES = 8 * 60
DUE_TIME = time(17, 0)


class OrderError(ValidationError):
    """A refused change, with a stable ``code`` the API maps to a status."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


@dataclass
class LineInput:
    version: DesignVersion
    quantity: int
    configuration: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- helpers


def _require_customer_or_coordinator(actor: Actor, organization_id: int) -> None:
    if has_perm(actor, "order.manage"):
        return
    require(actor, "order.place", organization_id)


def _transition(actor: Actor | None, order: Order, target: str, action: str, **fields: Any) -> None:
    """Move an order to ``target`` only if it is still in the state we read (a concurrent
    change makes this fail cleanly instead of being overwritten)."""
    if not order.can_transition(target):
        raise OrderError(
            _("This order is %(state)s: it cannot become %(target)s.")
            % {"state": order.get_state_display(), "target": OrderState(target).label},
            code="invalid_transition",
        )
    updated = (
        Order.objects.unscoped("conditional state change of one order")
        .filter(pk=order.pk, state=order.state)
        .update(state=target, **fields)
    )
    if updated != 1:
        raise OrderError(
            _("Someone else changed this order at the same time. Reload the page."),
            code="concurrent_change",
        )
    before = order.state
    order.state = target
    for key, value in fields.items():
        setattr(order, key, value)
    audit.record(
        actor=actor,
        action=action,
        obj=order,
        organization_id=order.customer_id,
        changes={"state": [before, target]},
    )


def _next_reference(year: int) -> str:
    prefix = f"C-{year}-"
    last = (
        Order.objects.unscoped("numbering looks at every order's reference")
        .filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _check_lines(
    actor: Actor, lines: Sequence[LineInput]
) -> list[tuple[LineInput, dict[str, int]]]:
    if not lines:
        raise OrderError(_("Add at least one design to the order."), code="empty_order")
    if len(lines) > MAX_LINES:
        raise OrderError(
            _("An order holds at most %(n)s lines.") % {"n": MAX_LINES}, code="invalid"
        )
    checked = []
    for line in lines:
        if line.version.state != VersionState.RELEASED:
            raise OrderError(
                _("%(design)s %(number)s is not released: only released versions can be ordered.")
                % {"design": line.version.design.name, "number": line.version.number},
                code="version_not_released",
            )
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise OrderError(
                _("The quantity must be between 1 and %(max)s.") % {"max": MAX_QUANTITY},
                code="invalid_quantity",
            )
        try:
            config = configurator.clean_configuration(line.version, line.configuration)
        except ValidationError as exc:
            raise OrderError(exc.messages[0], code="invalid_option") from exc
        checked.append((line, config))
    return checked


# ---------------------------------------------------------------- customer side


def create_order(
    *,
    actor: Actor,
    customer: Organization,
    requested_date: date,
    lines: Sequence[LineInput],
    delivery_address: str = "",
    notes: str = "",
    is_demo: bool = False,
) -> Order:
    """A draft order for ``customer`` (by one of its managers, or a coordinator on its behalf)."""
    _require_customer_or_coordinator(actor, customer.pk)
    if requested_date < timezone.localdate():
        raise OrderError(_("The delivery date cannot be in the past."), code="date_in_past")
    checked = _check_lines(actor, lines)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    reference=_next_reference(timezone.localdate().year),
                    customer=customer,
                    placed_by=actor.user,
                    requested_date=requested_date,
                    delivery_address=delivery_address.strip()[:300],
                    notes=notes.strip(),
                    is_demo=is_demo,
                )
                break
        except IntegrityError:  # two orders numbered at the same instant: take the next number
            continue
    else:  # pragma: no cover - five collisions in a row
        raise OrderError(_("Please try again."), code="concurrent_change")
    for position, (line, config) in enumerate(checked):
        OrderLine.objects.create(
            order=order,
            version=line.version,
            quantity=line.quantity,
            configuration=config,
            position=position,
        )
    audit.record(
        actor=actor,
        action="order.created",
        obj=order,
        organization_id=customer.pk,
        changes={"lines": len(checked), "requested_date": requested_date.isoformat()},
    )
    return order


def submit_order(*, actor: Actor, order: Order) -> Order:
    """Place the order (a draft, or a quote the customer accepts)."""
    _require_customer_or_coordinator(actor, order.customer_id)
    problems = unmakeable_operations(order)
    if problems:
        raise OrderError(problems[0], code="not_manufacturable")
    quote_valid = order.quote_valid_until
    if order.state == OrderState.QUOTED and quote_valid and quote_valid < timezone.localdate():
        raise OrderError(
            _("This quote expired on %(date)s: ask for a new one.")
            % {"date": quote_valid.isoformat()},
            code="quote_expired",
        )
    with transaction.atomic():
        _transition(
            actor, order, OrderState.SUBMITTED, "order.submitted", submitted_at=timezone.now()
        )
    return order


def request_quote(*, actor: Actor, order: Order) -> Order:
    _require_customer_or_coordinator(actor, order.customer_id)
    with transaction.atomic():
        _transition(actor, order, OrderState.QUOTE_REQUESTED, "order.quote_requested")
    return order


def quote_order(
    *, actor: Actor, order: Order, amount: Decimal, valid_until: date, note: str = ""
) -> Order:
    """The coordinator prices a quote request."""
    require(actor, "order.manage")
    if amount <= 0:
        raise OrderError(_("The price must be more than zero."), code="invalid_price")
    if valid_until < timezone.localdate():
        raise OrderError(_("The quote cannot expire in the past."), code="date_in_past")
    with transaction.atomic():
        _transition(
            actor,
            order,
            OrderState.QUOTED,
            "order.quoted",
            quote_amount=amount,
            quote_valid_until=valid_until,
            quote_note=note.strip(),
        )
    return order


def cancel_order(*, actor: Actor, order: Order, reason: str = "") -> Order:
    """Cancel an order; its open work orders and offers are cancelled with it."""
    _require_customer_or_coordinator(actor, order.customer_id)
    if order.state == OrderState.RELEASED and not has_perm(actor, "order.manage"):
        raise OrderError(
            _("The order is in production: ask the network coordinator to cancel it."),
            code="invalid_transition",
        )
    with transaction.atomic():
        _transition(
            actor, order, OrderState.CANCELLED, "order.cancelled", cancel_reason=reason[:300]
        )
        work = WorkOrder.objects.unscoped("work of a cancelled order").filter(order=order)
        Offer.objects.unscoped("offers of a cancelled order").filter(
            work_order__order=order, state__in=[OfferState.OPEN, OfferState.COUNTERED]
        ).update(state=OfferState.WITHDRAWN)
        work.exclude(state=WorkOrderState.DONE).update(state=WorkOrderState.CANCELLED)
    return order


# ---------------------------------------------------------------- release: explosion


def unmakeable_operations(order: Order) -> list[str]:
    """One message per operation of the order's designs that no site of the network can do."""
    from reproduce.orders.selectors import unmakeable

    messages: list[str] = []
    for line in order.lines.select_related("version__design"):
        for version in _versions_to_make(line.version):
            messages.extend(unmakeable(version))
    return messages


def _versions_to_make(version: DesignVersion) -> list[DesignVersion]:
    """The version and every sub-design version its BOM pins, once each."""
    seen: dict[int, DesignVersion] = {version.pk: version}
    frontier = [version.pk]
    while frontier:
        lines = (
            BomLine.objects.unscoped("BOM of a version being ordered")
            .filter(version_id__in=frontier, component_version__isnull=False)
            .select_related("component_version__design")
        )
        frontier = []
        for line in lines:
            cv = line.component_version
            if cv is not None and cv.pk not in seen:
                seen[cv.pk] = cv
                frontier.append(cv.pk)
    return list(seen.values())


@dataclass
class _Plan:
    """The manufacturing orders of one line, before they are written."""

    version: DesignVersion
    quantity: int
    parent: int | None  # index in the list
    work_factor: Decimal = Decimal(1)


def _explode_line(line: OrderLine) -> list[_Plan]:
    """Manufacturing orders of a line: the product, then each sub-design level by level.
    Quantities round up to whole units (a connector is printed whole)."""
    resolved = configurator.resolve(line.version, line.configuration)
    plans = [_Plan(line.version, line.quantity, None, resolved.work_factor)]
    frontier = [0]
    extra = {vid: q * line.quantity for vid, q in resolved.components.items()}
    depth = 0
    while frontier and depth < 25:
        depth += 1
        ids = {plans[i].version.pk: i for i in frontier}
        lines = (
            BomLine.objects.unscoped("BOM of a version being released")
            .filter(version_id__in=list(ids), component_version__isnull=False)
            .select_related("component_version__design")
        )
        frontier = []
        for bom in lines:
            parent_index = ids[bom.version_id]
            amount = bom.quantity * plans[parent_index].quantity
            if parent_index == 0:
                amount += extra.pop(bom.component_version_id, Decimal(0))
            assert bom.component_version is not None
            plans.append(_Plan(bom.component_version, math.ceil(amount), parent_index))
            frontier.append(len(plans) - 1)
    return plans


def _minutes(op: Operation, quantity: int, factor: Decimal) -> int:
    total = (op.setup_minutes or Decimal(0)) + (op.unit_minutes or Decimal(0)) * quantity * factor
    return max(1, math.ceil(total))


def order_due_at(order: Order) -> datetime:
    return timezone.make_aware(datetime.combine(order.requested_date, DUE_TIME))


def _create_work_orders(order: Order, mo: ManufacturingOrder, factor: Decimal) -> list[WorkOrder]:
    ops = list(mo.version.operations.select_related("process").order_by("position", "pk"))
    created: list[WorkOrder] = []
    for index, op in enumerate(ops, start=1):
        wo = WorkOrder.objects.create(
            order=order,
            manufacturing_order=mo,
            operation=op,
            reference=f"{order.reference}-{mo.number}.{index:02d}",
            name=op.name[:150],
            quantity=mo.quantity,
            minutes=_minutes(op, mo.quantity, factor),
            due_at=order_due_at(order),
        )
        if created:
            wo.predecessors.add(created[-1])
        created.append(wo)
    return created


def _link_to_parent(child: list[WorkOrder], parent: list[WorkOrder]) -> None:
    """A sub-design must be finished before the parent's first assembly operation (or its
    first operation when it has no assembly)."""
    if not child or not parent:
        return
    target = next((wo for wo in parent if wo.operation.kind == OperationKind.ASSEMBLY), parent[0])
    target.predecessors.add(child[-1])


def _set_due_dates(work: list[WorkOrder], order: Order) -> None:
    """Each work order is due early enough for the work after it (a rough backward pass at
    eight working hours a day); the sites see this date as their deadline."""
    due = order_due_at(order)
    successors: dict[int, list[WorkOrder]] = {wo.pk: [] for wo in work}
    for wo in work:
        for pred in wo.predecessors.all():
            successors.setdefault(pred.pk, []).append(wo)
    cache: dict[int, datetime] = {}

    def latest_end(wo: WorkOrder) -> datetime:
        if wo.pk not in cache:
            after = successors.get(wo.pk, [])
            cache[wo.pk] = min(
                (
                    latest_end(s) - timedelta(days=math.ceil(s.minutes / WORK_DAY_MINUTES))
                    for s in after
                ),
                default=due,
            )
        return cache[wo.pk]

    for wo in work:
        wo.due_at = latest_end(wo)
    WorkOrder.objects.unscoped("due dates of work just created").bulk_update(work, ["due_at"])


def release_order(*, actor: Actor, order: Order) -> list[WorkOrder]:
    """Explode a submitted order into manufacturing orders and one work order per operation.

    Two coordinators releasing the same order: the conditional state change lets one win;
    the other gets a clear error and nothing is written twice.
    """
    require(actor, "order.manage")
    problems = unmakeable_operations(order)
    if problems:
        raise OrderError(problems[0], code="not_manufacturable")
    with transaction.atomic():
        _transition(
            actor,
            order,
            OrderState.RELEASED,
            "order.released",
            released_at=timezone.now(),
            released_by=actor.user,
        )
        work: list[WorkOrder] = []
        number = 0
        for line in order.lines.select_related("version__design"):
            mos: list[tuple[ManufacturingOrder, list[WorkOrder]]] = []
            for plan in _explode_line(line):
                number += 1
                parent = mos[plan.parent][0] if plan.parent is not None else None
                mo = ManufacturingOrder.objects.create(
                    order=order,
                    line=line,
                    version=plan.version,
                    quantity=plan.quantity,
                    parent=parent,
                    number=number,
                )
                created = _create_work_orders(order, mo, plan.work_factor)
                if plan.parent is not None:
                    _link_to_parent(created, mos[plan.parent][1])
                mos.append((mo, created))
                work.extend(created)
        _set_due_dates(work, order)
        audit.record(
            actor=actor,
            action="order.exploded",
            obj=order,
            organization_id=order.customer_id,
            changes={"manufacturing_orders": number, "work_orders": len(work)},
        )
        transaction.on_commit(
            lambda: _replan(_("Order %(ref)s released") % {"ref": order.reference})
        )
    return work


def _replan(reason: str) -> None:
    """New work changes the network plan: queue a re-plan (one at a time; a pending one
    takes the new work too)."""
    from reproduce.planning.services import request_plan

    request_plan(actor=None, reason=reason)


# ---------------------------------------------------------------- dispatch


def _deadline(hours: int | None) -> datetime:
    return timezone.now() + timedelta(hours=hours or DEFAULT_ANSWER_HOURS)


def _open_states() -> list[str]:
    return [WorkOrderState.WAITING, WorkOrderState.OFFERED, WorkOrderState.UNASSIGNED]


def offer_work_order(
    *,
    actor: Actor | None,
    work_order: WorkOrder,
    site: Site,
    machine: Machine | None = None,
    answer_within_hours: int | None = None,
    override: bool = False,
    rank: int = 1,
) -> Offer:
    """Offer a work order to a site, to answer before a deadline.

    The site must be a candidate (able to do the operation) unless the coordinator
    overrides; ``actor`` None is the platform itself offering to the next candidate.
    """
    if actor is not None:
        require(actor, "order.manage")
    if work_order.state not in _open_states():
        raise OrderError(
            _("This work order is %(state)s: it cannot be offered.")
            % {"state": work_order.get_state_display()},
            code="invalid_transition",
        )
    from reproduce.orders.selectors import candidate_for

    candidate = candidate_for(work_order, site)
    if candidate is None and not override:
        raise OrderError(
            _("%(site)s cannot do this operation.") % {"site": site.name}, code="not_candidate"
        )
    if answer_within_hours is not None and not 1 <= answer_within_hours <= 24 * 14:
        raise OrderError(_("The answer time must be between 1 hour and 14 days."), code="invalid")
    with transaction.atomic():
        try:
            with transaction.atomic():
                offer = Offer.objects.create(
                    organization_id=site.organization_id,
                    work_order=work_order,
                    site=site,
                    machine=machine
                    or (candidate.machines[0] if candidate and candidate.machines else None),
                    rank=rank,
                    reasons=candidate.reasons if candidate else [_("Chosen by the coordinator")],
                    price=candidate.price if candidate else None,
                    deadline=_deadline(answer_within_hours),
                    created_by=actor.user if actor else None,
                )
        except IntegrityError:
            raise OrderError(
                _("%(site)s already has this work order to answer.") % {"site": site.name},
                code="already_offered",
            ) from None
        WorkOrder.objects.unscoped("conditional state change of one work order").filter(
            pk=work_order.pk, state__in=_open_states()
        ).update(state=WorkOrderState.OFFERED)
        work_order.state = WorkOrderState.OFFERED
        audit.record(
            actor=actor,
            action="work_order.offered",
            obj=offer,
            organization_id=site.organization_id,
            changes={"work_order": work_order.reference, "site": site.pk, "override": override},
        )
    _schedule_expiry(offer)
    _notify("notify_offer", offer.pk)
    return offer


def _notify(name: str, *args: Any) -> None:
    """Enqueue an e-mail task once the transaction commits (nothing is sent for a change
    that rolls back)."""
    from reproduce.orders import tasks

    transaction.on_commit(lambda: getattr(tasks, name).enqueue(*args))


def _schedule_expiry(offer: Offer) -> None:
    from reproduce.orders.tasks import expire_offer

    def enqueue() -> None:
        try:
            expire_offer.using(run_after=offer.deadline).enqueue(offer.pk)
        except InvalidTask:  # a backend that cannot defer: the lazy sweep expires it instead
            logger.info("offer %s expires through the sweep, not a deferred task", offer.pk)

    transaction.on_commit(enqueue)


def _assign(
    actor: Actor | None,
    work_order: WorkOrder,
    site: Site,
    machine: Machine | None,
    *,
    agreed_end: datetime | None = None,
    price: Decimal | None = None,
) -> None:
    """Give the work order to ``site`` if nobody took it meanwhile (conditional UPDATE: the
    first acceptance wins, a second one gets ``already_assigned``)."""
    updated = (
        WorkOrder.objects.unscoped("conditional claim of one work order")
        .filter(pk=work_order.pk, state__in=_open_states(), site__isnull=True)
        .update(
            state=WorkOrderState.ACCEPTED,
            site=site,
            machine=machine,
            agreed_end=agreed_end,
            price=price,
            accepted_at=timezone.now(),
        )
    )
    if updated != 1:
        raise OrderError(
            _("Another site has already taken this work order."), code="already_assigned"
        )
    work_order.refresh_from_db()
    Offer.objects.unscoped("other offers of a work order just assigned").filter(
        work_order=work_order, state__in=[OfferState.OPEN, OfferState.COUNTERED]
    ).exclude(site=site).update(state=OfferState.WITHDRAWN)
    share_with(
        actor=actor,
        design=work_order.manufacturing_order.version.design,
        organization=site.organization,
        reason=_("Work order %(ref)s") % {"ref": work_order.reference},
    )


def _check_answerable(offer: Offer) -> None:
    if offer.state != OfferState.OPEN:
        raise OrderError(
            _("This offer is %(state)s: it can no longer be answered.")
            % {"state": offer.get_state_display()},
            code="offer_closed",
        )
    if offer.deadline < timezone.now():
        raise OrderError(
            _("The answer deadline (%(deadline)s) has passed.")
            % {"deadline": timezone.localtime(offer.deadline).strftime("%Y-%m-%d %H:%M")},
            code="offer_expired",
        )


def _close_offer(offer: Offer, state: str, actor: Actor | None, **fields: Any) -> None:
    updated = (
        Offer.objects.unscoped("conditional answer to one offer")
        .filter(pk=offer.pk, state=offer.state)
        .update(
            state=state,
            answered_at=timezone.now(),
            answered_by=getattr(actor, "user", None),
            **fields,
        )
    )
    if updated != 1:
        raise OrderError(_("This offer was answered meanwhile."), code="offer_closed")
    offer.refresh_from_db()


def accept_offer(
    *, actor: Actor, offer: Offer, machine: Machine | None = None, comment: str = ""
) -> Offer:
    """The site takes the work. Its design version's files and SOPs are shared with it."""
    require(actor, "offer.answer", offer.organization_id)
    _check_answerable(offer)
    if machine is not None and machine.site_id != offer.site_id:
        raise OrderError(_("Choose a machine of this site."), code="invalid_machine")
    with transaction.atomic():
        work_order = offer.work_order
        _assign(actor, work_order, offer.site, machine or offer.machine, price=offer.price)
        _close_offer(offer, OfferState.ACCEPTED, actor, comment=comment[:400])
        audit.record(
            actor=actor,
            action="offer.accepted",
            obj=offer,
            organization_id=offer.organization_id,
            changes={"work_order": work_order.reference},
        )
    return offer


def decline_offer(*, actor: Actor, offer: Offer, reason: str, comment: str = "") -> Offer:
    """The site says no, with a reason; the work goes to the next candidate."""
    require(actor, "offer.answer", offer.organization_id)
    if reason not in DeclineReason.values:
        raise OrderError(_("Choose a reason."), code="invalid_reason")
    if reason == DeclineReason.OTHER and not comment.strip():
        raise OrderError(_("Say why in the comment."), code="invalid_reason")
    _check_answerable(offer)
    with transaction.atomic():
        _close_offer(
            offer, OfferState.DECLINED, actor, decline_reason=reason, comment=comment[:400]
        )
        audit.record(
            actor=actor,
            action="offer.declined",
            obj=offer,
            organization_id=offer.organization_id,
            changes={"reason": reason},
        )
        offer_next_candidate(offer.work_order)
    return offer


def counter_offer(
    *,
    actor: Actor,
    offer: Offer,
    proposed_end: datetime | None = None,
    proposed_price: Decimal | None = None,
    comment: str = "",
) -> Offer:
    """The site could do it, at another date or price: the coordinator decides."""
    require(actor, "offer.answer", offer.organization_id)
    _check_answerable(offer)
    if proposed_end is None and proposed_price is None:
        raise OrderError(_("Propose a date, a price or both."), code="invalid")
    if proposed_end is not None and proposed_end < timezone.now():
        raise OrderError(_("The proposed date is in the past."), code="date_in_past")
    if proposed_price is not None and proposed_price <= 0:
        raise OrderError(_("The price must be more than zero."), code="invalid_price")
    with transaction.atomic():
        _close_offer(
            offer,
            OfferState.COUNTERED,
            actor,
            proposed_end=proposed_end,
            proposed_price=proposed_price,
            comment=comment[:400],
        )
        audit.record(
            actor=actor,
            action="offer.countered",
            obj=offer,
            organization_id=offer.organization_id,
            changes={"proposed_end": proposed_end, "proposed_price": proposed_price},
        )
        _notify("notify_coordinators", offer.pk, "countered")
    return offer


def accept_counter(*, actor: Actor, offer: Offer) -> Offer:
    """The coordinator agrees to the site's date or price: the work is the site's."""
    require(actor, "order.manage")
    if offer.state != OfferState.COUNTERED:
        raise OrderError(_("There is no counter-proposal to accept."), code="offer_closed")
    with transaction.atomic():
        _assign(
            actor,
            offer.work_order,
            offer.site,
            offer.machine,
            agreed_end=offer.proposed_end,
            price=offer.proposed_price or offer.price,
        )
        Offer.objects.unscoped("conditional answer to one offer").filter(
            pk=offer.pk, state=OfferState.COUNTERED
        ).update(state=OfferState.ACCEPTED)
        offer.state = OfferState.ACCEPTED
        audit.record(
            actor=actor,
            action="offer.counter_accepted",
            obj=offer,
            organization_id=offer.organization_id,
            changes={},
        )
    return offer


def reject_counter(*, actor: Actor, offer: Offer) -> Offer:
    require(actor, "order.manage")
    if offer.state != OfferState.COUNTERED:
        raise OrderError(_("There is no counter-proposal to refuse."), code="offer_closed")
    with transaction.atomic():
        _close_offer(offer, OfferState.DECLINED, actor)
        audit.record(
            actor=actor,
            action="offer.counter_rejected",
            obj=offer,
            organization_id=offer.organization_id,
            changes={},
        )
        offer_next_candidate(offer.work_order)
    return offer


def withdraw_offer(*, actor: Actor, offer: Offer) -> Offer:
    require(actor, "order.manage")
    if offer.state not in (OfferState.OPEN, OfferState.COUNTERED):
        raise OrderError(_("This offer is already closed."), code="offer_closed")
    with transaction.atomic():
        _close_offer(offer, OfferState.WITHDRAWN, actor)
        _refresh_work_state(offer.work_order)
        audit.record(
            actor=actor,
            action="offer.withdrawn",
            obj=offer,
            organization_id=offer.organization_id,
            changes={},
        )
    return offer


def assign_work_order(
    *, actor: Actor, work_order: WorkOrder, site: Site, machine: Machine | None = None, reason: str
) -> WorkOrder:
    """Coordinator override: give the work to a site directly (agreed outside the platform)."""
    require(actor, "order.manage")
    if not reason.strip():
        raise OrderError(_("Say why you assign it directly."), code="invalid_reason")
    if machine is not None and machine.site_id != site.pk:
        raise OrderError(_("Choose a machine of this site."), code="invalid_machine")
    with transaction.atomic():
        _assign(actor, work_order, site, machine)
        WorkOrder.objects.unscoped("note of one work order").filter(pk=work_order.pk).update(
            note=reason.strip()[:300]
        )
        audit.record(
            actor=actor,
            action="work_order.assigned",
            obj=work_order,
            organization_id=site.organization_id,
            changes={"site": site.pk, "reason": reason.strip()[:300]},
        )
    return work_order


def _refresh_work_state(work_order: WorkOrder) -> None:
    """Back to "to dispatch" when no offer is live any more (and nobody took it)."""
    live = Offer.objects.unscoped("live offers of one work order").filter(
        work_order=work_order, state__in=[OfferState.OPEN, OfferState.COUNTERED]
    )
    if not live.exists():
        WorkOrder.objects.unscoped("state of one work order").filter(
            pk=work_order.pk, state=WorkOrderState.OFFERED
        ).update(state=WorkOrderState.WAITING)


def offer_next_candidate(work_order: WorkOrder) -> Offer | None:
    """Offer the work to the best candidate not asked yet; with none left, flag it for the
    coordinator ("no site found"). Runs inside the caller's transaction."""
    from reproduce.orders.selectors import candidates

    work_order.refresh_from_db()
    if work_order.state not in _open_states() or work_order.site_id:
        return None
    asked = set(
        Offer.objects.unscoped("sites already asked for one work order")
        .filter(work_order=work_order)
        .values_list("site_id", flat=True)
    )
    live = Offer.objects.unscoped("live offers").filter(
        work_order=work_order, state__in=[OfferState.OPEN, OfferState.COUNTERED]
    )
    if live.exists():
        return None
    for rank, candidate in enumerate(candidates(work_order), start=1):
        if candidate.site.pk not in asked:
            return offer_work_order(
                actor=None, work_order=work_order, site=candidate.site, rank=rank
            )
    WorkOrder.objects.unscoped("state of one work order").filter(pk=work_order.pk).update(
        state=WorkOrderState.UNASSIGNED
    )
    last = (
        Offer.objects.unscoped("last offer of one work order")
        .filter(work_order=work_order)
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is not None:
        _notify("notify_coordinators", last.pk, "unassigned")
    audit.record(
        actor=None,
        action="work_order.unassigned",
        obj=work_order,
        organization_id=work_order.order.customer_id,
        changes={"asked": len(asked)},
    )
    return None


def dispatch_order(*, actor: Actor, order: Order) -> list[Offer]:
    """Offer every work order still to dispatch to its best candidate."""
    require(actor, "order.manage")
    offers = []
    waiting = WorkOrder.objects.unscoped("work of one order").filter(
        order=order, state=WorkOrderState.WAITING
    )
    for wo in waiting.select_related("operation", "manufacturing_order__version"):
        with transaction.atomic():
            offer = offer_next_candidate(wo)
        if offer is not None:
            offers.append(offer)
    return offers


def expire_overdue_offers(now: datetime | None = None) -> int:
    """Expire the open offers past their deadline and offer the work to the next candidate.

    Runs from the task enqueued at each offer's deadline, and lazily before dispatch pages
    are read, so an expired offer never waits for a worker."""
    now = now or timezone.now()
    overdue = list(
        Offer.objects.unscoped("deadline sweep over the whole network")
        .filter(state=OfferState.OPEN, deadline__lt=now)
        .select_related("work_order")
    )
    count = 0
    for offer in overdue:
        with transaction.atomic():
            updated = (
                Offer.objects.unscoped("conditional expiry of one offer")
                .filter(pk=offer.pk, state=OfferState.OPEN)
                .update(state=OfferState.EXPIRED)
            )
            if not updated:
                continue
            count += 1
            audit.record(
                actor=None,
                action="offer.expired",
                obj=offer,
                organization_id=offer.organization_id,
                changes={},
            )
            offer_next_candidate(offer.work_order)
    return count


def lines_from_data(actor: Actor, raw: Sequence[dict[str, Any]]) -> list[LineInput]:
    """Turn API/form line data ({"version": id, "quantity": n, "configuration": {}}) into inputs,
    reading only versions the actor may see."""
    ids = [item.get("version") for item in raw]
    versions = {
        v.pk: v
        for v in DesignVersion.objects.visible_to(actor)
        .filter(pk__in=[i for i in ids if isinstance(i, int)])
        .select_related("design")
    }
    out = []
    for item in raw:
        version = versions.get(item.get("version"))  # type: ignore[arg-type]
        if version is None:
            raise OrderError(_("This design version does not exist."), code="unknown_version")
        out.append(
            LineInput(
                version=version,
                quantity=int(item.get("quantity") or 0),
                configuration=dict(item.get("configuration") or {}),
            )
        )
    return out


# ---------------------------------------------------------------- execution (shop floor)
# Called by ``reproduce.production.services``, which checks ``work.execute`` first.


def _move_work(
    actor: Actor | None, work_order: WorkOrder, source: str, target: str, action: str
) -> None:
    """accepted → in progress → done, only from the state expected (a concurrent change
    fails cleanly with ``invalid_transition``)."""
    updated = (
        WorkOrder.objects.unscoped("conditional state change of one work order")
        .filter(pk=work_order.pk, state=source)
        .update(state=target)
    )
    if updated != 1:
        work_order.refresh_from_db(fields=["state"])
        raise OrderError(
            _("This work order is %(state)s: it cannot become %(target)s.")
            % {"state": work_order.get_state_display(), "target": WorkOrderState(target).label},
            code="invalid_transition",
        )
    work_order.state = target
    audit.record(
        actor=actor,
        action=action,
        obj=work_order,
        organization_id=work_order.site.organization_id if work_order.site else None,
        changes={"state": [source, target]},
    )


def start_work_order(*, actor: Actor | None, work_order: WorkOrder) -> WorkOrder:
    """The site starts the accepted work (accepted → in progress)."""
    with transaction.atomic():
        _move_work(
            actor,
            work_order,
            WorkOrderState.ACCEPTED,
            WorkOrderState.IN_PROGRESS,
            "work_order.started",
        )
    return work_order


def finish_work_order(*, actor: Actor | None, work_order: WorkOrder) -> WorkOrder:
    """The site finished the work (in progress → done); the order is completed when it was
    its last work order."""
    with transaction.atomic():
        _move_work(
            actor, work_order, WorkOrderState.IN_PROGRESS, WorkOrderState.DONE, "work_order.done"
        )
        complete_order_if_done(actor=actor, order=work_order.order)
    return work_order


def complete_order_if_done(*, actor: Actor | None, order: Order) -> bool:
    """Released → completed once every work order is done (cancelled ones aside)."""
    order.refresh_from_db(fields=["state"])
    if order.state != OrderState.RELEASED:
        return False
    work = WorkOrder.objects.unscoped("work of one order").filter(order=order)
    if work.exclude(state__in=[WorkOrderState.DONE, WorkOrderState.CANCELLED]).exists():
        return False
    if not work.filter(state=WorkOrderState.DONE).exists():
        return False
    _transition(actor, order, OrderState.COMPLETED, "order.completed")
    return True
