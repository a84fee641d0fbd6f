"""Writes of planning: network plans (run in the background) and machine bookings.

:func:`request_plan` queues a :class:`PlanRun`; the task ``run_plan_task`` builds the
engine's problem (:mod:`.problem`), solves it with the previous published plan as the
reference (re-planning moves as little as possible), stores the slots, and publishes it:
work orders get their planned dates, orders their planned completion and, when late, why.
"""

from __future__ import annotations

import logging
import time as clock
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.orders.models import Order, OrderState, WorkOrder
from reproduce.planning.engine import network as engine
from reproduce.planning.engine.model import Plan
from reproduce.planning.models import PlannedSlot, PlanRun, PlanState
from reproduce.planning.problem import Index, build_problem

logger = logging.getLogger(__name__)
MIN_TIME_LIMIT, MAX_TIME_LIMIT = 5, 300


class PlanningError(ValidationError):
    """A refused change, with a stable ``code`` the API maps to a status."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


def latest_plan() -> PlanRun | None:
    return PlanRun.objects.filter(is_published=True).order_by("-finished_at", "-pk").first()


def request_plan(*, actor: Actor | None, reason: str, time_limit: int = 20) -> PlanRun:
    """Queue a plan of the whole network; a plan already waiting or running is returned
    instead of starting a second one."""
    if actor is not None:
        require(actor, "plan.manage")
    if not MIN_TIME_LIMIT <= time_limit <= MAX_TIME_LIMIT:
        raise PlanningError(
            _("The time limit must be between %(a)s and %(b)s seconds.")
            % {"a": MIN_TIME_LIMIT, "b": MAX_TIME_LIMIT},
            code="invalid",
        )
    with transaction.atomic():
        pending = (
            PlanRun.objects.select_for_update()
            .filter(state__in=[PlanState.QUEUED, PlanState.RUNNING])
            .filter(created_at__gte=timezone.now() - timedelta(minutes=30))
            .first()
        )
        if pending is not None:
            return pending
        run = PlanRun.objects.create(
            reason=reason[:200],
            requested_by=getattr(actor, "user", None),
            origin=_origin(),
            time_limit=time_limit,
        )
        audit.record(actor=actor, action="plan.requested", obj=run, changes={"reason": reason})
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from reproduce.planning.tasks import run_plan_task

    run_plan_task.enqueue(run_id)


def _origin() -> datetime:
    """Plans start at the next quarter hour."""
    now = timezone.now().replace(second=0, microsecond=0)
    return now + timedelta(minutes=(15 - now.minute % 15) % 15)


def _previous_slots() -> dict[int, tuple[int, datetime, datetime]]:
    plan = latest_plan()
    if plan is None:
        return {}
    rows = PlannedSlot.objects.unscoped("the previous plan, for stability").filter(plan=plan)
    return {
        s.work_order_id: (s.machine_id, s.starts_at, s.ends_at)
        for s in rows
        if s.machine_id is not None
    }


def run_plan(run_id: int) -> PlanRun:
    """Solve and publish one queued plan (called by the background task)."""
    claimed = PlanRun.objects.filter(pk=run_id, state=PlanState.QUEUED).update(
        state=PlanState.RUNNING, started_at=timezone.now()
    )
    run = PlanRun.objects.get(pk=run_id)
    if not claimed:
        return run
    try:
        problem, index = build_problem(run.origin, previous=_previous_slots())
        started = clock.monotonic()

        def progress(elapsed: float, objective: float, solutions: int) -> None:
            PlanRun.objects.filter(pk=run_id).update(
                progress={
                    "elapsed": round(elapsed, 1),
                    "objective": objective,
                    "solutions": solutions,
                }
            )

        plan = engine.solve(problem, time_limit=run.time_limit, workers=2, progress=progress)
        plan.solve_seconds = plan.solve_seconds or clock.monotonic() - started
        _publish(run, plan, index)
    except Exception as exc:
        logger.exception("plan %s failed", run_id)
        PlanRun.objects.filter(pk=run_id).update(
            state=PlanState.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def _slot_rows(run: PlanRun, plan: Plan, index: Index) -> list[PlannedSlot]:
    rows = []
    for task_id, a in plan.assignments.items():
        wo = index.work[task_id]
        machine = index.machines.get(a.resource)
        site = machine.site if machine is not None else index.bench_site[a.resource]
        rows.append(
            PlannedSlot(
                plan=run,
                work_order=wo,
                site=site,
                machine=machine,
                starts_at=index.at(a.start),
                ends_at=index.at(a.end),
                is_candidate=wo.site_id is None,
            )
        )
    return rows


def _publish(run: PlanRun, plan: Plan, index: Index) -> None:
    with transaction.atomic():
        rows = _slot_rows(run, plan, index)
        PlannedSlot.objects.bulk_create(rows)
        planned = {r.work_order_id: r for r in rows}
        for wo in index.work.values():
            slot = planned.get(wo.pk)
            wo.planned_start = slot.starts_at if slot else None
            wo.planned_end = slot.ends_at if slot else None
            wo.planned_machine = slot.machine if slot else None
            late = (slot.ends_at - wo.due_at).total_seconds() // 60 if slot and wo.due_at else 0
            wo.late_minutes = max(0, int(late))
        WorkOrder.objects.unscoped("publishing the network plan").bulk_update(
            list(index.work.values()),
            ["planned_start", "planned_end", "planned_machine", "late_minutes"],
        )
        _update_orders(plan, index)
        PlanRun.objects.filter(is_published=True).update(is_published=False)
        PlanRun.objects.filter(pk=run.pk).update(
            state=PlanState.DONE,
            is_published=True,
            finished_at=timezone.now(),
            stats=_stats(plan, index),
        )
        audit.record(actor=None, action="plan.published", obj=run, changes=_stats(plan, index))


def _stats(plan: Plan, index: Index) -> dict[str, Any]:
    return {
        "status": plan.status,
        "work_orders": len(plan.assignments),
        "unscheduled": len(plan.unscheduled),
        "late_orders": sum(1 for v in plan.tardiness.values() if v > 0),
        "tardiness_minutes": plan.total_tardiness,
        "makespan_end": index.at(plan.makespan).isoformat() if plan.assignments else None,
        "transport_minutes": plan.transport,
        "changed": plan.changed,
        "solve_seconds": round(plan.solve_seconds, 1),
    }


def _delay_reason(order: Order, work: list[WorkOrder], plan: Plan) -> str:
    missing = [wo for wo in work if f"w{wo.pk}" in plan.unscheduled]
    if missing:
        return _("“%(op)s” has no site able to do it yet: the coordinator is looking for one.") % {
            "op": missing[0].name
        }
    planned = [(wo.planned_end, wo) for wo in work if wo.planned_end is not None]
    if not planned or not order.planned_end or order.planned_end.date() <= order.requested_date:
        return ""
    end, last = max(planned, key=lambda pair: pair[0])
    slot_site = last.planned_machine.site.name if last.planned_machine else ""
    return _(
        "The workshops' calendars are full until then: the last step, “%(op)s”%(where)s, "
        "ends on %(date)s."
    ) % {
        "op": last.name,
        "where": f" ({slot_site})" if slot_site else "",
        "date": timezone.localtime(end).strftime("%Y-%m-%d"),
    }


def _update_orders(plan: Plan, index: Index) -> None:
    by_order: dict[int, list[WorkOrder]] = {}
    for wo in index.work.values():
        by_order.setdefault(wo.order_id, []).append(wo)
    orders = Order.objects.unscoped("publishing the network plan").filter(
        pk__in=list(by_order), state=OrderState.RELEASED
    )
    changed = []
    for order in orders:
        ends = [wo.planned_end for wo in by_order[order.pk] if wo.planned_end]
        order.planned_end = max(ends) if ends else None
        order.delay_reason = _delay_reason(order, by_order[order.pk], plan)[:400]
        changed.append(order)
    Order.objects.unscoped("publishing the network plan").bulk_update(
        changed, ["planned_end", "delay_reason"]
    )
