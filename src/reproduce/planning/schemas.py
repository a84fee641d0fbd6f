"""API schemas of planning (the REST API in ``planning/api.py``): the network plan, its
slots, machine bookings and free machine time. Times are ISO 8601 with their offset."""

import datetime as dt
from datetime import datetime
from typing import Any

from ninja import Field, Schema

from reproduce.orders.schemas import (
    MachineBrief,
    OrganizationBrief,
    SiteBrief,
    machine_brief,
    org_brief,
    site_brief,
)
from reproduce.planning.models import Booking, PlannedSlot, PlanRun

# ---------------------------------------------------------------- the plan


class PlanRunOut(Schema):
    id: int
    state: str = Field(description="queued, running, done, failed")
    state_label: str
    reason: str = Field(description="Why it was asked for")
    origin: datetime = Field(description="When the plan starts")
    time_limit: int = Field(description="Seconds the solver may search")
    progress: dict[str, Any] = Field(
        description="While running: elapsed seconds, objective, solutions found"
    )
    stats: dict[str, Any] = Field(
        description="Once done: work_orders, unscheduled, late_orders, tardiness_minutes, "
        "makespan_end, transport_minutes, changed, solve_seconds"
    )
    error: str = Field(description="Why it failed, when it did")
    is_published: bool = Field(description="The plan in force (the latest one done)")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PlanRequestIn(Schema):
    reason: str = Field(min_length=1, max_length=200, description="Why plan again")
    time_limit: int = Field(20, ge=5, le=300, description="Seconds the solver may search")


class WorkOrderRef(Schema):
    id: int
    reference: str
    name: str = Field(description="The operation")
    order: str = Field(description="Reference of the customer order")


class SlotOut(Schema):
    id: int
    plan: int = Field(description="Id of the plan")
    work_order: WorkOrderRef
    site: SiteBrief
    machine: MachineBrief | None = Field(description="Null for manual work at the bench")
    starts_at: datetime
    ends_at: datetime
    is_candidate: bool = Field(
        description="The work is not accepted by the site yet: the plan puts it there as the "
        "likely candidate (seen by coordinators only)"
    )
    late_minutes: int


class SlotFilters(Schema):
    site: str = Field("", description="Slug of a site")
    machine: int | None = Field(None, description="Id of a machine")
    starts_after: datetime | None = Field(
        None, alias="from", description="Slots ending after this moment"
    )
    ends_before: datetime | None = Field(
        None, alias="to", description="Slots starting before this moment"
    )


# ---------------------------------------------------------------- bookings


class BookingIn(Schema):
    machine_id: int
    starts_at: datetime = Field(description="On the hour or the half hour")
    ends_at: datetime = Field(description="At most 8 hours after the start")
    purpose: str = Field("", max_length=200, description="What for")


class BookingOut(Schema):
    id: int
    machine: MachineBrief
    site: SiteBrief
    starts_at: datetime
    ends_at: datetime
    purpose: str
    state: str = Field(description="confirmed, cancelled")
    state_label: str
    booked_by: str = Field(description="The person who booked")
    on_behalf_of: OrganizationBrief | None
    is_mine: bool
    created_at: datetime
    cancelled_at: datetime | None


class FreeSlotOut(Schema):
    starts_at: datetime
    ends_at: datetime


class MachineSlotsOut(Schema):
    machine: MachineBrief
    site: SiteBrief
    date: dt.date
    minutes: int = Field(description="Length of each slot")
    slots: list[FreeSlotOut] = Field(description="Free slots inside opening hours")


class FreeSlotQuery(Schema):
    date: dt.date | None = Field(None, description="The day (YYYY-MM-DD); default today")
    minutes: int = Field(
        60, ge=30, le=480, multiple_of=30, description="Length of the slots wanted"
    )


# ---------------------------------------------------------------- from models to schemas


def plan_out(run: PlanRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": str(run.get_state_display()),
        "reason": run.reason,
        "origin": run.origin,
        "time_limit": run.time_limit,
        "progress": run.progress or {},
        "stats": run.stats or {},
        "error": run.error,
        "is_published": run.is_published,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def slot_out(slot: PlannedSlot) -> dict[str, Any]:
    wo = slot.work_order
    return {
        "id": slot.pk,
        "plan": slot.plan_id,
        "work_order": {
            "id": wo.pk,
            "reference": wo.reference,
            "name": wo.name,
            "order": wo.order.reference,
        },
        "site": site_brief(slot.site),
        "machine": machine_brief(slot.machine),
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "is_candidate": slot.is_candidate,
        "late_minutes": slot.late_minutes,
    }


def booking_out(booking: Booking, user_id: int | None) -> dict[str, Any]:
    machine = booking.machine
    org = booking.booker_organization
    return {
        "id": booking.pk,
        "machine": machine_brief(machine),
        "site": site_brief(machine.site),
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "purpose": booking.purpose,
        "state": booking.state,
        "state_label": str(booking.get_state_display()),
        "booked_by": str(booking.user),
        "on_behalf_of": org_brief(org) if org is not None else None,
        "is_mine": booking.user_id == user_id,
        "created_at": booking.created_at,
        "cancelled_at": booking.cancelled_at,
    }
