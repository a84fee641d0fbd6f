"""REST API of planning: the network plan (read by coordinators, a site's own slots by its
members), re-planning in the background, machine bookings and free machine time.

The calendar feeds (.ics) are pages under /planning/, not API operations. Handlers call
``planning.services`` and ``planning.bookings``; their refusals carry a stable code
(``BookingError``: 409 ``slot_taken``, ``already_cancelled``, ``started``; 422
``outside_opening_hours``, ``not_trained``…).
"""

from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ApiError, ErrorOut
from reproduce.api.idempotency import idempotent
from reproduce.api.pagination import Page, PageParams, page_of
from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.network.models import Machine, Site
from reproduce.planning import bookings, services
from reproduce.planning.models import Booking, PlannedSlot, PlanRun
from reproduce.planning.schemas import (
    BookingIn,
    BookingOut,
    FreeSlotQuery,
    MachineSlotsOut,
    PlanRequestIn,
    PlanRunOut,
    SlotFilters,
    SlotOut,
    booking_out,
    plan_out,
    slot_out,
)

router = Router(tags=["planning"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---------------------------------------------------------------- helpers


def _network_reader(request: HttpRequest, perm: str = "plan.view") -> Actor:
    actor = require_authenticated(request)
    require(actor, perm)
    return actor


def _no_plan() -> ApiError:
    return ApiError(404, "no_plan", _("No network plan has been made yet."))


def _slots(actor: Actor, plan: PlanRun | None, filters: SlotFilters) -> QuerySet[PlannedSlot]:
    if plan is None:
        return PlannedSlot.objects.visible_to(actor).none()  # type: ignore[no-any-return]
    slots = PlannedSlot.objects.visible_to(actor).filter(plan=plan)
    if filters.site:
        slots = slots.filter(site__slug=filters.site)
    if filters.machine is not None:
        slots = slots.filter(machine_id=filters.machine)
    if filters.starts_after is not None:
        slots = slots.filter(ends_at__gt=filters.starts_after)
    if filters.ends_before is not None:
        slots = slots.filter(starts_at__lt=filters.ends_before)
    return slots.select_related("site", "machine", "work_order__order").order_by(  # type: ignore[no-any-return]
        "starts_at", "pk"
    )


def _slot_page(slots: QuerySet[PlannedSlot], page: PageParams) -> dict[str, Any]:
    items, count = page_of(slots, page)
    return {"items": [slot_out(s) for s in items], "count": count}


def _bookings(actor: Actor) -> QuerySet[Booking]:
    return Booking.objects.visible_to(actor).select_related(  # type: ignore[no-any-return]
        "machine__site", "user", "booker_organization"
    )


def _booking_out(actor: Actor, booking_id: int) -> BookingOut:
    booking = _bookings(actor).filter(pk=booking_id).first()
    if booking is None:
        raise Http404
    return BookingOut.model_validate(booking_out(booking, actor.user_id))


# ---------------------------------------------------------------- the plan


@router.get("/plan", response={200: PlanRunOut, 403: ErrorOut, 404: ErrorOut}, summary="The plan")
@access("network", perm="plan.view")
def get_plan(request: HttpRequest) -> dict[str, Any]:
    """The network plan in force (the latest published run): when it starts, when it was
    made and its figures (late orders, tardiness, makespan, moved work orders). 404
    ``no_plan`` before the first plan."""
    _network_reader(request)
    plan = services.latest_plan()
    if plan is None:
        raise _no_plan()
    return plan_out(plan)


@router.post("/plan", response={202: PlanRunOut, **ERRORS}, summary="Plan the network again")
@access("network", perm="plan.manage")
@idempotent
def request_plan(request: HttpRequest, payload: PlanRequestIn) -> tuple[int, Any]:
    """Queue a new plan of the whole network, solved in the background within
    ``time_limit`` seconds (re-planning moves as little as possible). A plan already queued
    or running is answered instead of a second one. Follow it at
    ``/plan/runs/{plan_id}``."""
    actor = _network_reader(request, "plan.manage")
    run = services.request_plan(actor=actor, reason=payload.reason, time_limit=payload.time_limit)
    return 202, PlanRunOut.model_validate(plan_out(run))


@router.get(
    "/plan/runs/latest",
    response={200: PlanRunOut, 403: ErrorOut, 404: ErrorOut},
    summary="The latest plan run",
)
@access("network", perm="plan.view")
def latest_run(request: HttpRequest) -> dict[str, Any]:
    """The most recent run, whatever its state (queued, running, done or failed)."""
    _network_reader(request)
    run = PlanRun.objects.order_by("-created_at", "-pk").first()
    if run is None:
        raise _no_plan()
    return plan_out(run)


@router.get(
    "/plan/runs/{plan_id}",
    response={200: PlanRunOut, 403: ErrorOut, 404: ErrorOut},
    summary="One plan run",
)
@access("network", perm="plan.view", object="plan_id", model="planning.PlanRun")
def get_run(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """Its state and, while running, its progress (elapsed seconds, objective, solutions)."""
    actor = require_authenticated(request)
    run = PlanRun.objects.filter(pk=plan_id).first()
    if run is None:
        raise Http404
    require(actor, "plan.view")
    return plan_out(run)


@router.get("/plan/slots", response=Page[SlotOut], summary="Slots of the plan")
@access("network", perm="plan.view")
def list_slots(
    request: HttpRequest, page: Query[PageParams], filters: Query[SlotFilters]
) -> dict[str, Any]:
    """Every slot of the plan in force, candidates included, by start. Filters: ``site``
    (slug), ``machine`` (id), ``from`` and ``to`` (ISO 8601)."""
    actor = _network_reader(request)
    return _slot_page(_slots(actor, services.latest_plan(), filters), page)


@router.get(
    "/sites/{slug}/plan", response={200: Page[SlotOut], 404: ErrorOut}, summary="A site's plan"
)
@access("member", object="slug", model="network.Site")
def site_plan(
    request: HttpRequest, slug: str, page: Query[PageParams], filters: Query[SlotFilters]
) -> dict[str, Any]:
    """The slots of the plan in force at a site: its organisation's members see the work
    it accepted (candidates are shown to coordinators only); others see nothing."""
    actor = require_authenticated(request)
    site = get_visible_or_404(Site, actor, slug=slug)
    filters.site = site.slug
    return _slot_page(_slots(actor, services.latest_plan(), filters), page)


# ---------------------------------------------------------------- bookings


@router.get("/bookings", response=Page[BookingOut], summary="Machine bookings")
@access("authenticated")
def list_bookings(
    request: HttpRequest,
    page: Query[PageParams],
    machine: int | None = None,
    state: str = "",
    upcoming: bool = True,
) -> dict[str, Any]:
    """Your bookings and those of your organisations' machines, by start. Filters:
    ``machine`` (id), ``state`` (confirmed, cancelled), ``upcoming`` (default true: not
    ended yet)."""
    actor = require_authenticated(request)
    mine = Q(user_id=actor.user_id) | Q(machine__site__organization__in=actor.organization_ids)
    rows = _bookings(actor).filter(mine)
    if machine is not None:
        rows = rows.filter(machine_id=machine)
    if state:
        rows = rows.filter(state=state)
    if upcoming:
        rows = rows.filter(ends_at__gt=timezone.now())
    items, count = page_of(rows.order_by("starts_at", "pk"), page)
    return {"items": [booking_out(b, actor.user_id) for b in items], "count": count}


@router.post("/bookings", response={201: BookingOut, **ERRORS}, summary="Book a machine")
@access("member", perm="booking.create")
@idempotent
def create_booking(request: HttpRequest, payload: BookingIn) -> tuple[int, Any]:
    """Reserve machine time for your active organisation, on the hour or half hour, inside
    the site's opening hours (422 ``outside_opening_hours``), at most 8 hours, up to 90
    days ahead. A taken slot answers 409 ``slot_taken``; a machine that needs a trained
    operator 422 ``not_trained`` until your skill is validated."""
    actor = require_authenticated(request)
    machine = (
        Machine.objects.visible_to(actor)
        .select_related("site", "process")
        .filter(pk=payload.machine_id)
        .first()
    )
    if machine is None:
        raise ValidationError({"machine_id": _("No such machine.")})
    booking = bookings.book_machine(
        actor=actor,
        machine=machine,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        purpose=payload.purpose,
    )
    return 201, _booking_out(actor, booking.pk)


@router.get(
    "/bookings/{booking_id}", response={200: BookingOut, 404: ErrorOut}, summary="One booking"
)
@access("member", object="booking_id", model="planning.Booking")
def get_booking(request: HttpRequest, booking_id: int) -> BookingOut:
    return _booking_out(require_authenticated(request), booking_id)


@router.post(
    "/bookings/{booking_id}/cancel",
    response={200: BookingOut, **ERRORS},
    summary="Cancel a booking",
)
@access("member", perm="booking.create", object="booking_id", model="planning.Booking")
def cancel_booking(request: HttpRequest, booking_id: int) -> BookingOut:
    """Cancel your booking (or, for a manager of the host workshop, anyone's on its
    machines: ``booking.manage``) before it starts (409 ``started``)."""
    actor = require_authenticated(request)
    booking = get_visible_or_404(Booking, actor, pk=booking_id)
    bookings.cancel_booking(actor=actor, booking=booking)
    return _booking_out(actor, booking.pk)


@router.get(
    "/machines/{machine_id}/slots",
    response={200: MachineSlotsOut, 404: ErrorOut, 422: ErrorOut},
    summary="Free time of a machine",
)
@access("public", object="machine_id", model="network.Machine")
def machine_slots(
    request: HttpRequest, machine_id: int, params: Query[FreeSlotQuery]
) -> dict[str, Any]:
    """The slots of ``minutes`` (a multiple of 30) still free on ``date`` inside the site's
    opening hours, every half hour; past slots are left out."""
    actor = request_actor(request)
    machine = get_visible_or_404(Machine, actor, pk=machine_id)
    day = params.date or timezone.localdate()
    moment = timezone.make_aware(datetime.combine(day, time(12)))
    free = bookings.free_slots(machine, moment, timedelta(minutes=params.minutes))
    return {
        "machine": {"id": machine.pk, "name": machine.name},
        "site": {"id": machine.site.pk, "slug": machine.site.slug, "name": machine.site.name},
        "date": day,
        "minutes": params.minutes,
        "slots": [{"starts_at": a, "ends_at": b} for a, b in free],
    }
