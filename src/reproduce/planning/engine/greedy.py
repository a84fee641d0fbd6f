"""Baseline dispatcher: list scheduling on the earliest available capable machine.

Tasks are taken in a topological order (by a priority rule among the ready ones) and each is
put on the option giving the earliest end, respecting windows, release, precedence and
transport. It is the benchmark's baseline, CP-SAT's first solution (hint) and the fallback
when CP-SAT finds nothing in time. With ``Task.previous`` set it is a repair heuristic: the
previous assignments that are still valid are kept, the others are re-dispatched around them.
"""

from __future__ import annotations

import heapq
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable
from typing import Literal

from .model import (
    Assignment,
    Index,
    Option,
    Plan,
    Problem,
    Task,
    finish_plan,
    long_starts,
    transport_time,
)

Rule = Literal["release", "due"]
NO_DUE = 10**12


class Calendar:
    """Busy intervals per resource on top of its windows; answers "earliest fit from t"."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.busy: dict[str, list[tuple[int, int]]] = {rid: [] for rid in index.resources}

    def book(self, a: Assignment) -> None:
        insort(self.busy.setdefault(a.resource, []), (a.start, a.end))

    def release(self, a: Assignment) -> None:
        self.busy[a.resource].remove((a.start, a.end))

    def clash(self, rid: str, start: int, end: int) -> int | None:
        """End of a busy interval overlapping [start, end), or None if the slot is free."""
        busy = self.busy[rid]
        k = bisect_left(busy, (end, -1)) - 1  # last interval starting before ``end``
        if k >= 0 and busy[k][1] > start:
            return busy[k][1]
        return None

    def earliest(self, option: Option, ready: int) -> tuple[int, int] | None:
        """Earliest (start, end) of ``option`` starting at or after ``ready``."""
        if self.index.is_long(option):
            return self._earliest_long(option, ready)
        windows = self.index.windows[option.resource]
        k = bisect_right(windows, (ready, 10**15)) - 1  # the window containing ``ready``
        for ws, we in windows[max(k, 0) :]:
            start = max(ready, ws)
            while start + option.duration <= we:
                blocked = self.clash(option.resource, start, start + option.duration)
                if blocked is None:
                    return start, start + option.duration
                start = blocked
        return None

    def _earliest_long(self, option: Option, ready: int) -> tuple[int, int] | None:
        for start, end in long_starts(self.index.windows[option.resource], option.duration):
            if start >= ready and self.clash(option.resource, start, end) is None:
                return start, end
        return None

    def holds(self, task: Task, a: Assignment) -> bool:
        """Whether ``a`` is still a valid, free slot for ``task`` (used to keep ``previous``)."""
        option = self.index.option_for(task, a.resource)
        if option is None or option not in self.index.usable_options(task):
            return False
        if a.start < task.release or self.clash(a.resource, a.start, a.end) is not None:
            return False
        if self.index.is_long(option):
            return (a.start, a.end) in long_starts(self.index.windows[a.resource], option.duration)
        return a.end - a.start == option.duration and any(
            s <= a.start and a.end <= e for s, e in self.index.windows[a.resource]
        )


def priority(index: Index, rule: Rule) -> Callable[[Task], tuple[int, int, int]]:
    """Sort key among ready tasks: order of arrival (``release``) or due date first."""
    order = {t.id: k for k, t in enumerate(index.problem.tasks)}

    def key(task: Task) -> tuple[int, int, int]:
        due = index.job_due.get(task.job, NO_DUE)
        if rule == "due":
            return due, task.release, order[task.id]
        return task.release, due, order[task.id]

    return key


def solve(problem: Problem, *, rule: Rule = "release", index: Index | None = None) -> Plan:
    """Dispatch every task in topological order on its earliest-ending option."""
    began = time.monotonic()
    index = index or Index(problem)
    dispatcher = _Dispatcher(index, rule)
    plan = dispatcher.run()
    plan.solve_seconds = time.monotonic() - began
    return plan


class _Dispatcher:
    def __init__(self, index: Index, rule: Rule) -> None:
        self.index = index
        self.key = priority(index, rule)
        self.calendar = Calendar(index)
        self.done: dict[str, Assignment] = {}
        self.unscheduled: dict[str, str] = {}
        self.kept: dict[str, Assignment] = {}  # previous assignments reserved in the calendar

    def run(self) -> Plan:
        self._book_fixed_and_previous()
        for task in self._topological():
            if task.id not in self.done:
                self._dispatch(task)
        for tid in self.index.tasks:
            if tid not in self.done and tid not in self.unscheduled:
                self.unscheduled[tid] = "precedence_cycle"
        return finish_plan(self.index, "greedy", self.done, self.unscheduled)

    def _book_fixed_and_previous(self) -> None:
        # Fixed tasks first (they are facts), then the previous plan where it still holds:
        # re-dispatching only the rest keeps the plan stable after a disruption.
        for task in self.index.problem.tasks:
            if task.fixed is not None:
                self.calendar.book(task.fixed)
                self.done[task.id] = task.fixed
        for task in self.index.problem.tasks:
            prev = task.previous
            if task.fixed is None and prev is not None and self.calendar.holds(task, prev):
                self.calendar.book(prev)
                self.kept[task.id] = prev

    def _topological(self) -> list[Task]:
        tasks = self.index.tasks
        waiting = {tid: len(self.index.edges_into(t)) for tid, t in tasks.items()}
        heap = [(self.key(t), tid) for tid, t in tasks.items() if waiting[tid] == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            _, tid = heapq.heappop(heap)
            order.append(tasks[tid])
            for succ in self.index.successors[tid]:
                waiting[succ] -= 1
                if waiting[succ] == 0:
                    heapq.heappush(heap, (self.key(tasks[succ]), succ))
        return order  # tasks on a precedence cycle never become ready: left unscheduled

    def _dispatch(self, task: Task) -> None:
        reason = self._blocked(task)
        if reason is not None:
            self._drop(task, reason)
            return
        kept = self.kept.pop(task.id, None)
        if kept is not None:
            if self._ready(task, self.index.site(kept.resource)) <= kept.start:
                self.done[task.id] = kept
                return
            self.calendar.release(kept)
        best = self._best_slot(task)
        if best is None:
            self._drop(task, "no_window")
            return
        self.calendar.book(best)
        self.done[task.id] = best

    def _blocked(self, task: Task) -> str | None:
        if any(p in self.unscheduled for p in self.index.edges_into(task)):
            return "predecessor_unscheduled"
        if not [o for o in task.options if o.resource in self.index.resources]:
            return "no_capable_resource"
        if not self.index.usable_options(task):
            return "no_window"
        return None

    def _drop(self, task: Task, reason: str) -> None:
        self.unscheduled[task.id] = reason
        kept = self.kept.pop(task.id, None)
        if kept is not None:
            self.calendar.release(kept)

    def _ready(self, task: Task, site: str) -> int:
        """Earliest start at ``site``: release, and every predecessor's end plus transport."""
        ready = task.release
        for pred in self.index.edges_into(task):
            a = self.done[pred]
            lag = transport_time(self.index.problem, self.index.site(a.resource), site)
            ready = max(ready, a.end + lag)
        return ready

    def _best_slot(self, task: Task) -> Assignment | None:
        best: tuple[int, int, int] | None = None
        best_option: Option | None = None
        for option in self.index.usable_options(task):
            ready = self._ready(task, self.index.site(option.resource))
            slot = self.calendar.earliest(option, ready)
            # Earliest end first; on a tie the cheaper option.
            if slot is not None and (best is None or (slot[1], option.cost) < best[1:]):
                best, best_option = (slot[0], slot[1], int(option.cost)), option
        if best is None or best_option is None:
            return None
        return Assignment(best_option.resource, best[0], best[1])
