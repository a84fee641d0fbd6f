"""Background work of the programme (django.tasks).

``purge_expired_calls`` erases the personal data of the calls whose retention period is over
(``services.retention``) and enqueues itself for the next night, so one run started by
``reproduce programme purge --schedule`` (or any enqueue) keeps the chain going; a cron job
running ``reproduce programme purge`` does the same work without a task worker.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone

from reproduce.programme.services import retention

PURGE_AT = time(3, 0)  # local time: a quiet hour


def next_purge_at(now: datetime) -> datetime:
    """03:00 local time the next day."""
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, PURGE_AT))


def _pending_purges() -> int:
    """Purges already waiting in the database queue (so the chain is never doubled)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - another backend: nothing to look at
        return 0
    if not type(purge_expired_calls.get_backend()).__module__.startswith("django_tasks_db"):
        return 0
    return DBTaskResult.objects.filter(
        task_path=purge_expired_calls.module_path, status=TaskResultStatus.READY
    ).count()


def schedule_next_purge(now: datetime | None = None) -> bool:
    """Enqueue the next nightly purge unless one is waiting; False when the backend cannot
    run tasks later (the immediate backend of the tests: a cron job does it then)."""
    if not purge_expired_calls.get_backend().supports_defer or _pending_purges():
        return False
    run_after = next_purge_at(now or timezone.now())
    purge_expired_calls.using(run_after=run_after).enqueue()
    return True


@task()
def purge_expired_calls() -> int:
    """Erase the personal data of every call past its retention period, then come back
    tomorrow. Returns the number of applications erased."""
    erased = sum(p.applications for p in retention.purge_expired_calls(timezone.now()))
    schedule_next_purge()
    return erased
