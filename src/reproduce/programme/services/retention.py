"""Erasing the personal data of a call's applications at the end of its retention period.

A call keeps its applicants' personal data ``retention_months`` after its accompaniment ends
(``ends_on``); then :func:`purge_call` erases them, run daily by the ``purge_expired_calls``
task (``programme/tasks.py``) and by ``reproduce programme purge`` for cron.

Erased, for every application of the call: the person (names, e-mail, phone, postcode, the
link to their account), the answers and "what you can bring", the officer's note, the
uploaded documents (rows deleted; ``reproduce files gc`` then removes the files nobody points
at), reviewers' comments and conflict reasons, interview meeting links, notes of employment
follow-ups, and the registrations to the cohort's events. The enterprise name and number are
erased too unless the applicant became a participant with an enterprise number (a registered
enterprise is public data, and the FEDER audit trail names the enterprises supported).

Kept, so that the FEDER indicators keep their values (``services.indicators``): the
application's reference and state, each participant's ``enterprise_key``, ``is_new_enterprise``
and baseline jobs, employment follow-ups (date, FTE), grants and their amounts, attendance
counts. De minimis declarations are kept too: Regulation (EU) 2023/2831 asks that records of
de minimis aid be kept ten fiscal years, longer than any call's retention.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.programme.models import (
    Application,
    ApplicationDocument,
    Call,
    CallState,
    Conflict,
    EmploymentRecord,
    InterviewSlot,
    Participant,
    Registration,
    ReviewAssignment,
    Score,
)

WHY = "retention: erasing the personal data of one call"


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_ends_on(call: Call) -> date:
    """The first day the call's personal data may no longer be kept."""
    return add_months(call.ends_on, call.retention_months)


def expired_calls(today: date) -> list[Call]:
    """Calls whose retention period is over and that still hold personal data."""
    candidates = Call.objects.unscoped("retention: every call is checked").filter(
        purged_at__isnull=True, ends_on__lt=today
    )
    return [c for c in candidates.order_by("ends_on", "pk") if retention_ends_on(c) <= today]


@dataclass(frozen=True)
class Purged:
    call_id: int
    applications: int
    documents: int


def _erase_application(app: Application, keep_enterprise: bool, now: datetime) -> None:
    app.first_name = app.last_name = app.email = app.phone = app.postcode = ""
    app.applicant = None
    app.contribution = app.officer_note = app.decision_message = ""
    app.answers = {}
    if not keep_enterprise:
        app.enterprise_name = app.enterprise_number = app.legal_form = ""
        app.enterprise_created_on = None
    app.anonymised_at = now
    app.save()


def _erase_around(call: Call, applications: list[int]) -> int:
    """Everything else about the applicants: documents, comments, links, registrations."""
    documents = ApplicationDocument.objects.unscoped(WHY).filter(application_id__in=applications)
    count = documents.count()
    documents.delete()
    assignments = ReviewAssignment.objects.unscoped(WHY).filter(application_id__in=applications)
    Score.objects.unscoped(WHY).filter(assignment__in=assignments).update(comment="")
    assignments.update(comment="")
    Conflict.objects.unscoped(WHY).filter(application_id__in=applications).update(reason="")
    InterviewSlot.objects.unscoped(WHY).filter(call=call).update(meeting_url="")
    EmploymentRecord.objects.unscoped(WHY).filter(participant__cohort__call=call).update(note="")
    registrations = Registration.objects.unscoped(WHY).filter(event__cohort__call=call)
    for registration in registrations:
        registration.name = registration.organization_name = ""
        # The address is unique per event: a placeholder that can never receive mail.
        registration.email = f"erased-{registration.pk}@invalid.invalid"
        registration.save(update_fields=["name", "organization_name", "email"])
    return count


@transaction.atomic
def purge_call(*, call: Call, actor: Actor | None = None, now: datetime | None = None) -> Purged:
    """Erase the personal data of ``call``'s applications and archive it (idempotent)."""
    now = now or timezone.now()
    call = Call.objects.unscoped(WHY).select_for_update().get(pk=call.pk)
    if call.purged_at is not None:
        return Purged(call.pk, 0, 0)
    applications = list(Application.objects.unscoped(WHY).filter(call=call))
    with_number = set(
        Participant.objects.unscoped(WHY)
        .filter(cohort__call=call)
        .exclude(application__enterprise_number="")
        .values_list("application_id", flat=True)
    )
    for app in applications:
        _erase_application(app, app.pk in with_number, now)
    documents = _erase_around(call, [a.pk for a in applications])
    call.purged_at = now
    call.state = CallState.ARCHIVED
    call.save(update_fields=["purged_at", "state"])
    audit.record(
        actor=actor,
        action="call.purge",
        obj=call,
        changes={"applications": len(applications), "documents": documents},
    )
    return Purged(call.pk, len(applications), documents)


def purge_expired_calls(now: datetime | None = None) -> list[Purged]:
    """Erase the personal data of every call whose retention period is over."""
    now = now or timezone.now()
    return [purge_call(call=c, now=now) for c in expired_calls(timezone.localdate(now))]
