"""The nightly purge task erases what is due and comes back the next night, once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone

from reproduce.programme import tasks
from reproduce.programme.models import Application
from reproduce.programme.tests.fixtures_indicators import (
    Programme,
    aware,
    programme_fixture,  # noqa: F401 - the "programme" fixture
)

pytestmark = pytest.mark.django_db
DB = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _queued() -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    return list(
        DBTaskResult.objects.filter(
            task_path=tasks.purge_expired_calls.module_path, status=TaskResultStatus.READY
        )
    )


def test_next_purge_is_at_three_the_next_night() -> None:
    moment = aware(date(2026, 12, 5), 15)
    assert tasks.next_purge_at(moment) == aware(date(2026, 12, 6), 3)


def test_the_task_purges_and_enqueues_itself_for_the_next_night(
    programme: Programme, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS = DB
    monkeypatch.setattr(timezone, "now", lambda: aware(date(2028, 6, 1), 3))
    erased = tasks.purge_expired_calls.call()
    assert erased == 3
    assert Application.objects.unscoped("test").get(reference="C1-001").first_name == ""
    queued = _queued()
    assert [q.run_after for q in queued] == [aware(date(2028, 6, 2), 3)]
    # Running again (or starting the chain by hand) never doubles the nightly purge.
    assert tasks.purge_expired_calls.call() == 0
    assert tasks.schedule_next_purge() is False
    assert len(_queued()) == 1


def test_the_command_starts_the_chain(
    programme: Programme, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command

    settings.TASKS = DB
    call_command("programme", "purge", "--schedule")
    assert len(_queued()) == 1
    call_command("programme", "purge", "--schedule")
    assert len(_queued()) == 1


def test_a_backend_that_cannot_defer_runs_it_once(
    programme: Programme, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS = IMMEDIATE
    monkeypatch.setattr(timezone, "now", lambda: aware(date(2028, 6, 1), 3))
    result = tasks.purge_expired_calls.enqueue()
    assert result.return_value == 3
    assert tasks.schedule_next_purge() is False
