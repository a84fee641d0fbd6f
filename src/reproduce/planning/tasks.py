"""Background work of planning (django.tasks): the scheduler never runs inside a request."""

from __future__ import annotations

from django.tasks import task

from reproduce.planning import services


@task()
def run_plan_task(run_id: int) -> str:
    return str(services.run_plan(run_id).state)
