"""Reads of the shop floor: my work today, the progress of an order, the ETag of that progress.

Every read takes the actor (or an object the caller already resolved through ``visible_to``),
so scoping is never forgotten.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.core.actor import Actor
from reproduce.core.permissions import has_perm, require
from reproduce.inventory.models import Location, LocationKind, Lot
from reproduce.inventory.services import may_use
from reproduce.orders.models import Offer, Order, WorkOrder, WorkOrderState
from reproduce.production.models import Run, RunState

TODAY_STATES = (WorkOrderState.ACCEPTED, WorkOrderState.IN_PROGRESS)
LIMIT = 200
ZERO = Decimal(0)


# ---------------------------------------------------------------- who acts


def acting_organization_id(actor: Actor, work_order: WorkOrder) -> int | None:
    """The organisation on whose behalf the actor would act on this work order: the site's
    once it is assigned, else the one it was offered to (the service then refuses it as
    ``not_assigned``)."""
    if work_order.site_id is not None:
        return work_order.site.organization_id  # type: ignore[union-attr]
    orgs = list(actor.organization_ids)
    return (
        Offer.objects.unscoped("offers of a work order, to the actor's organisations")
        .filter(work_order=work_order, organization__in=orgs)
        .values_list("organization_id", flat=True)
        .first()
    )


def visible_work(actor: Actor, pk: Any) -> WorkOrder:
    """A work order the actor may see (404 otherwise), with what the pages show of it."""
    try:
        wo: WorkOrder = (
            WorkOrder.objects.visible_to(actor)
            .select_related(
                "order",
                "site__organization",
                "machine",
                "run",
                "operation",
                "manufacturing_order__version__design",
            )
            .get(pk=pk)
        )
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    return wo


def work_for_action(actor: Actor, pk: Any) -> WorkOrder:
    """The work order, for an operator (or more) of the organisation doing it: foreign →
    404; member or coordinator without ``work.execute`` → 403."""
    wo = visible_work(actor, pk)
    org = acting_organization_id(actor, wo)
    if org is None:
        raise PermissionDenied(_("Only the site doing the work records it."))
    require(actor, "work.execute", org)
    return wo


def can_execute(actor: Actor, work_order: WorkOrder) -> bool:
    org = work_order.site.organization_id if work_order.site_id else None  # type: ignore[union-attr]
    return org is not None and has_perm(actor, "work.execute", org)


# ---------------------------------------------------------------- my work today


def _work(queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    return queryset.select_related(
        "order", "site", "machine", "run", "manufacturing_order__version__design"
    )


def my_work(actor: Actor, now: datetime | None = None) -> list[WorkOrder]:
    """Accepted and running work of the actor's organisations' sites: what runs first, then
    what is planned (or due) today, then the rest by planned start or due date."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = list(
        _work(
            WorkOrder.objects.visible_to(actor).filter(
                site__organization__in=list(actor.organization_ids), state__in=TODAY_STATES
            )
        ).order_by("planned_start", "due_at", "pk")[:LIMIT]
    )

    def key(wo: WorkOrder) -> tuple[Any, ...]:
        when = wo.planned_start or wo.due_at
        is_today = when is not None and timezone.localdate(when) <= today
        started = wo.state == WorkOrderState.IN_PROGRESS
        return (not started, not is_today, when is None, when or now, wo.pk)

    rows.sort(key=key)
    return rows


def is_today(wo: WorkOrder, now: datetime | None = None) -> bool:
    when = wo.planned_start or wo.due_at
    return when is not None and timezone.localdate(when) <= timezone.localdate(now)


# ---------------------------------------------------------------- progress


def run_of(wo: WorkOrder) -> Run | None:
    """The run cached by ``select_related("run")`` (None before the start)."""
    try:
        return wo.run  # type: ignore[attr-defined,no-any-return]
    except Run.DoesNotExist:
        return None


@dataclass
class Progress:
    """What the order page and the poll show of one work order."""

    work_order: WorkOrder
    run: Run | None
    good: Decimal
    scrap: Decimal
    percent: int
    worked_minutes: int

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.state == RunState.RUNNING

    @property
    def paused(self) -> bool:
        return self.run is not None and self.run.state == RunState.PAUSED

    @property
    def activity(self) -> str:
        return self.run.state if self.run is not None else ""


def worked_seconds(run: Run, now: datetime | None = None) -> int:
    """Time on the clock so far plus the minutes added by hand."""
    total = run.worked_seconds + run.extra_minutes * 60
    if run.running_since is not None:
        total += max(0, int(((now or timezone.now()) - run.running_since).total_seconds()))
    return total


def progress_of(wo: WorkOrder, now: datetime | None = None) -> Progress:
    run = run_of(wo)
    good = run.good_quantity if run else ZERO
    scrap = run.scrap_quantity if run else ZERO
    if wo.state == WorkOrderState.DONE:
        percent = 100
    elif wo.quantity:
        percent = int(min(Decimal(100), good * 100 / wo.quantity))
    else:
        percent = 0
    return Progress(
        work_order=wo,
        run=run,
        good=good,
        scrap=scrap,
        percent=percent,
        worked_minutes=worked_seconds(run, now) // 60 if run else 0,
    )


def order_progress(order: Order) -> list[Progress]:
    """Every work order of the order (the caller may see the order), in routing order."""
    rows = _work(
        WorkOrder.objects.unscoped("work of an order the caller may see").filter(order=order)
    ).order_by("manufacturing_order__number", "pk")
    now = timezone.now()
    return [progress_of(wo, now) for wo in rows]


def floor_progress(actor: Actor) -> list[Progress]:
    """Work running or paused right now, across the network (for the plan page)."""
    rows = _work(
        WorkOrder.objects.visible_to(actor).filter(state=WorkOrderState.IN_PROGRESS)
    ).order_by("site__name", "pk")[:LIMIT]
    now = timezone.now()
    return [progress_of(wo, now) for wo in rows]


def _digest(parts: Iterable[Any]) -> str:
    raw = "|".join(str(p) for p in parts)
    return '"' + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:20] + '"'


def order_etag(order: Order, salt: str = "") -> str:
    """Changes whenever a work order of the order changes state or its run changes (one
    query of a few integers per work order: what the poll reads every ten seconds)."""
    rows = (
        WorkOrder.objects.unscoped("work of an order the caller may see")
        .filter(order=order)
        .order_by("pk")
        .values_list("pk", "state", "site_id", "run__version")
    )
    return _digest([order.state, salt, *rows])


def work_etag(wo: WorkOrder, salt: str = "") -> str:
    row = (
        WorkOrder.objects.unscoped("one work order the caller may see")
        .filter(pk=wo.pk)
        .values_list("state", "site_id", "run__version")
        .first()
    )
    return _digest([wo.pk, salt, row])


def floor_etag(actor: Actor, salt: str = "") -> str:
    rows = (
        WorkOrder.objects.visible_to(actor)
        .filter(state=WorkOrderState.IN_PROGRESS)
        .order_by("pk")
        .values_list("pk", "run__version")[:LIMIT]
    )
    return _digest([salt, *rows])


def etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match`` holds ``etag`` (or ``*``); weak validators compare equal."""
    candidates = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in candidates or etag in candidates


# ---------------------------------------------------------------- lots and locations


LOT_IN_URL = re.compile(r"/(?:10|lot)/([^/?#]+)/?$")


def lot_code_from(text: str) -> str:
    """The lot code in what was typed or scanned: the code itself, or a label's URL
    (``…/01/<gtin>/10/<lot>`` or ``…/lot/<code>``)."""
    text = (text or "").strip()
    if "/" in text:
        path = urlsplit(text).path if "://" in text else text
        match = LOT_IN_URL.search(path)
        if match:
            return unquote(match.group(1)).strip()
    return text


def usable_lot(actor: Actor, code: str) -> Lot | None:
    """The lot with this code if the actor's organisations may use it (owner, custodian or
    pool member); None otherwise — another organisation's private lot is "not found"."""
    code = lot_code_from(code)
    if not code:
        return None
    lot: Lot | None = (
        Lot.objects.unscoped("looked up by code; returned only if the actor may use it")
        .select_related("item")
        .filter(code__iexact=code)
        .first()
    )
    if lot is None or not may_use(actor, lot):
        return None
    return lot


def site_locations(wo: WorkOrder) -> QuerySet[Location]:
    """The active stock locations of the work order's site (quarantine ones last)."""
    return (
        Location.objects.owned_by(wo.site.organization_id)  # type: ignore[union-attr]
        .filter(site_id=wo.site_id, is_active=True)
        .exclude(kind=LocationKind.QUARANTINE)
        .order_by("kind", "code")
    )


def default_location(wo: WorkOrder, *, output: bool = False) -> Location | None:
    """Where to take (storage first) or put (production first) stock at the site."""
    locations = list(site_locations(wo))
    preferred = LocationKind.PRODUCTION if output else LocationKind.STORAGE
    for location in locations:
        if location.kind == preferred:
            return location
    return locations[0] if locations else None
