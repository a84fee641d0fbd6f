"""Online interviews: the officer offers slots, invites shortlisted applicants, who pick a free
slot on their own page and receive an iCalendar invitation.

A slot is claimed with a conditional ``UPDATE … WHERE application IS NULL`` and a row-count
check, so two applicants clicking the same slot at the same moment cannot both get it (this
also holds on SQLite, where ``select_for_update`` does nothing): the second gets
``slot_taken``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.programme.models import (
    Application,
    ApplicationState,
    Call,
    InterviewSlot,
    is_officer,
)
from reproduce.programme.services import ProgrammeError

MAX_SLOTS = 300  # one series; a call interviews a few dozen applicants
MIN_MINUTES, MAX_MINUTES = 10, 240
MAX_PER_DAY = 24


@transaction.atomic
def create_slots(
    *,
    actor: Actor,
    call: Call,
    first_day: date,
    last_day: date,
    start: time,
    minutes: int,
    count: int,
    meeting_url: str = "",
    weekdays_only: bool = True,
) -> list[InterviewSlot]:
    """A series of slots: on each day from ``first_day`` to ``last_day`` (weekdays only by
    default), ``count`` consecutive slots of ``minutes`` from ``start`` (Brussels time).

    Refusals: ``invalid_period``, ``invalid_duration``, ``invalid_count``, ``too_many_slots``,
    ``slots_past``.
    """
    require(actor, "programme.manage")
    _check_series(first_day, last_day, minutes, count)
    days = [
        first_day + timedelta(days=n)
        for n in range((last_day - first_day).days + 1)
        if not weekdays_only or (first_day + timedelta(days=n)).weekday() < 5
    ]
    if len(days) * count > MAX_SLOTS:
        raise ProgrammeError(
            _("At most %(max)s slots at once.") % {"max": MAX_SLOTS}, "too_many_slots", "count"
        )
    slots = []
    for day in days:
        begin = timezone.make_aware(datetime.combine(day, start))
        for n in range(count):
            starts = begin + timedelta(minutes=minutes * n)
            slots.append(
                InterviewSlot(
                    call=call,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=minutes),
                    meeting_url=meeting_url,
                )
            )
    if slots and slots[0].starts_at <= timezone.now():
        raise ProgrammeError(_("The slots must be in the future."), "slots_past", "first_day")
    created = InterviewSlot.objects.bulk_create(slots)
    audit.record(
        actor=actor,
        action="call.interview_slots",
        obj=call,
        changes={"created": len(created), "from": first_day, "to": last_day},
    )
    return created


def _check_series(first_day: date, last_day: date, minutes: int, count: int) -> None:
    if last_day < first_day or (last_day - first_day).days > 62:
        raise ProgrammeError(
            _("The last day must be after the first one, within two months."),
            "invalid_period",
            "last_day",
        )
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ProgrammeError(
            _("A slot lasts %(min)s to %(max)s minutes.")
            % {"min": MIN_MINUTES, "max": MAX_MINUTES},
            "invalid_duration",
            "minutes",
        )
    if not 1 <= count <= MAX_PER_DAY:
        raise ProgrammeError(
            _("Between 1 and %(max)s slots a day.") % {"max": MAX_PER_DAY}, "invalid_count", "count"
        )


@transaction.atomic
def delete_slot(*, actor: Actor, slot: InterviewSlot) -> None:
    """Remove a free slot (a booked one stays: ``slot_taken``)."""
    require(actor, "programme.manage")
    deleted, _rows = (
        InterviewSlot.objects.unscoped("the service checked the actor")
        .filter(pk=slot.pk, application__isnull=True)
        .delete()
    )
    if not deleted:
        raise ProgrammeError(_("This slot is booked: it cannot be removed."), "slot_taken")
    audit.record(actor=actor, action="call.interview_slot_removed", obj=slot.call)


@transaction.atomic
def invite_to_interview(*, actor: Actor, application: Application) -> Application:
    """Shortlist a submitted application: the applicant is invited (by e-mail, in their
    language) to pick an interview slot. Refusal: ``invalid_transition``."""
    require(actor, "programme.manage")
    updated = (
        Application.objects.unscoped("the service checked the actor")
        .filter(pk=application.pk, state=ApplicationState.SUBMITTED)
        .update(state=ApplicationState.INTERVIEW, updated_at=timezone.now())
    )
    if updated != 1:
        raise ProgrammeError(
            _("Only a submitted application can be invited to an interview."),
            "invalid_transition",
        )
    application.state = ApplicationState.INTERVIEW
    audit.record(
        actor=actor,
        action="application.invited",
        obj=application,
        changes={"state": [ApplicationState.SUBMITTED, ApplicationState.INTERVIEW]},
    )
    from reproduce.programme import tasks_decisions

    transaction.on_commit(lambda: tasks_decisions.send_interview_invitation.enqueue(application.pk))
    return application


@transaction.atomic
def book_slot(*, actor: Actor, slot: InterviewSlot, application: Application) -> InterviewSlot:
    """The invited applicant (or an officer for them) books ``slot``; a slot booked before is
    freed. Refusals: ``not_invited``, ``wrong_call``, ``slot_past``, ``slot_taken`` (someone
    was quicker)."""
    if application.applicant_id != actor.user_id and not is_officer(actor):
        raise ProgrammeError(_("This is not your application."), "not_your_application")
    if application.state != ApplicationState.INTERVIEW:
        raise ProgrammeError(
            _("This application is not invited to an interview."), "not_invited", "slot"
        )
    if slot.call_id != application.call_id:
        raise ProgrammeError(_("This slot belongs to another call."), "wrong_call", "slot")
    if slot.starts_at <= timezone.now():
        raise ProgrammeError(_("This slot has already started."), "slot_past", "slot")
    slots = InterviewSlot.objects.unscoped("claiming a slot for a checked application")
    if slot.application_id == application.pk:
        return slot
    previous = slots.filter(application=application).first()
    if previous is not None:
        slots.filter(pk=previous.pk).update(application=None, booked_at=None)
    now = timezone.now()
    claimed = slots.filter(pk=slot.pk, application__isnull=True).update(
        application=application, booked_at=now
    )
    if claimed != 1:
        raise ProgrammeError(
            _("Someone has just taken this slot: choose another one."), "slot_taken", "slot"
        )
    slot.application, slot.booked_at = application, now
    audit.record(
        actor=actor,
        action="application.interview_booked",
        obj=application,
        changes={
            "slot": slot.pk,
            "starts_at": slot.starts_at,
            "freed": getattr(previous, "pk", None),
        },
    )
    from reproduce.programme import tasks_decisions

    transaction.on_commit(lambda: tasks_decisions.send_interview_booked.enqueue(slot.pk))
    return slot
