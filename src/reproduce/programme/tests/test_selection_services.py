"""Selection services: interview slots (a series, a slot claimed once), invitations with an
iCalendar file, decisions with a personal message checked against the FEDER wording rule,
and decision e-mails in each applicant's language."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from reproduce.programme.models import Application, ApplicationState, CallState, InterviewSlot
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services.decisions import decide, send_decisions
from reproduce.programme.services.interviews import (
    book_slot,
    create_slots,
    delete_slot,
    invite_to_interview,
)
from reproduce.programme.tests import fixtures_review
from reproduce.programme.tests.fixtures_review import ReviewWorld

rw = fixtures_review.rw  # the fixture

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _next_monday() -> Any:
    day = timezone.localdate() + timedelta(days=7)
    return day - timedelta(days=day.weekday())


def _slots(rw: ReviewWorld, count: int = 1) -> list[InterviewSlot]:
    monday = _next_monday()
    return create_slots(
        actor=rw.actor(rw.officer),
        call=rw.call,
        first_day=monday,
        last_day=monday,
        start=time(9),
        minutes=30,
        count=count,
        meeting_url="https://meet.example.test/jury",
    )


def _fresh(app: Application) -> Application:
    return Application.objects.unscoped("test").select_related("call").get(pk=app.pk)


def test_a_series_of_slots_on_weekdays(rw: ReviewWorld) -> None:
    monday = _next_monday()
    slots = create_slots(
        actor=rw.actor(rw.officer),
        call=rw.call,
        first_day=monday - timedelta(days=2),  # Saturday, Sunday, Monday
        last_day=monday,
        start=time(14, 30),
        minutes=45,
        count=3,
    )
    local = [timezone.localtime(s.starts_at) for s in slots]
    assert [(t.date(), t.strftime("%H:%M")) for t in local] == [
        (monday, "14:30"),
        (monday, "15:15"),
        (monday, "16:00"),
    ]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=45) for s in slots)
    with pytest.raises(ProgrammeError) as exc:
        create_slots(
            actor=rw.actor(rw.officer),
            call=rw.call,
            first_day=monday,
            last_day=monday,
            start=time(9),
            minutes=500,
            count=1,
        )
    assert exc.value.code == "invalid_duration"


def test_a_slot_is_booked_once_when_two_applicants_click_it(rw: ReviewWorld) -> None:
    officer = rw.actor(rw.officer)
    first, second = rw.applications[:2]
    invite_to_interview(actor=officer, application=first)
    invite_to_interview(actor=officer, application=second)
    (slot,) = _slots(rw)
    seen_by_second = InterviewSlot.objects.unscoped("test").get(pk=slot.pk)  # still free
    book_slot(actor=rw.actor(rw.applicants[0]), slot=slot, application=_fresh(first))
    with pytest.raises(ProgrammeError) as exc:
        book_slot(actor=rw.actor(rw.applicants[1]), slot=seen_by_second, application=_fresh(second))
    assert exc.value.code == "slot_taken"
    assert InterviewSlot.objects.unscoped("test").get(pk=slot.pk).application_id == first.pk
    with pytest.raises(ProgrammeError) as exc:
        delete_slot(actor=officer, slot=slot)
    assert exc.value.code == "slot_taken"


def test_booking_another_slot_frees_the_first(rw: ReviewWorld) -> None:
    app = rw.applications[0]
    invite_to_interview(actor=rw.actor(rw.officer), application=app)
    one, two = _slots(rw, count=2)
    me = rw.actor(rw.applicants[0])
    book_slot(actor=me, slot=one, application=_fresh(app))
    book_slot(actor=me, slot=two, application=_fresh(app))
    booked = InterviewSlot.objects.unscoped("test").filter(application=app)
    assert [s.pk for s in booked] == [two.pk]


def test_only_invited_applicants_book_and_only_their_own(rw: ReviewWorld) -> None:
    (slot,) = _slots(rw)
    app = rw.applications[0]
    with pytest.raises(ProgrammeError) as exc:
        book_slot(actor=rw.actor(rw.applicants[0]), slot=slot, application=_fresh(app))
    assert exc.value.code == "not_invited"
    invite_to_interview(actor=rw.actor(rw.officer), application=app)
    with pytest.raises(ProgrammeError) as exc:
        book_slot(actor=rw.actor(rw.applicants[1]), slot=slot, application=_fresh(app))
    assert exc.value.code == "not_your_application"
    with pytest.raises(ProgrammeError) as exc:
        invite_to_interview(actor=rw.actor(rw.officer), application=_fresh(app))
    assert exc.value.code == "invalid_transition"


def test_invitation_and_booking_e_mails_with_the_calendar_file(
    rw: ReviewWorld, settings: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    app = rw.applications[1]  # Dutch
    with django_capture_on_commit_callbacks(execute=True):
        invite_to_interview(actor=rw.actor(rw.officer), application=app)
    assert mailoutbox[-1].to == [app.email]
    assert f"/programme/applications/{app.pk}/interview/" in mailoutbox[-1].body
    assert "Een product ontwikkelen met gerecycleerd textiel" in mailoutbox[-1].subject
    (slot,) = _slots(rw)
    with django_capture_on_commit_callbacks(execute=True):
        book_slot(actor=rw.actor(rw.applicants[1]), slot=slot, application=_fresh(app))
    mail = mailoutbox[-1]
    (name, content, mimetype) = mail.attachments[0]
    assert name.endswith(".ics") and mimetype.startswith("text/calendar")
    text = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VEVENT" in text
    assert f"interview-{slot.token}@" in text
    assert "https://meet.example.test/jury" in text


def test_a_forbidden_word_in_the_message_is_refused_and_nothing_changes(
    rw: ReviewWorld,
) -> None:
    app = rw.applications[0]
    with pytest.raises(ProgrammeError) as exc:
        decide(
            actor=rw.actor(rw.officer),
            application=app,
            decision=ApplicationState.ACCEPTED,
            message="Bienvenue dans notre Formation !",
        )
    assert exc.value.code == "forbidden_wording"
    assert exc.value.field == "message"
    assert "accompagnement" in exc.value.messages[0]
    assert _fresh(app).state == ApplicationState.SUBMITTED


def test_decisions_are_sent_once_in_each_applicants_language(
    rw: ReviewWorld, settings: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    officer = rw.actor(rw.officer)
    fr_app, nl_app, en_app = rw.applications
    decide(
        actor=officer,
        application=fr_app,
        decision=ApplicationState.ACCEPTED,
        message="Rendez-vous le 29 septembre à GreenFabric.",
    )
    decide(actor=officer, application=nl_app, decision=ApplicationState.WAITLISTED)
    decide(actor=officer, application=en_app, decision=ApplicationState.REFUSED)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_decisions(actor=officer, call=rw.call) == 3
    mails = {m.to[0]: m for m in mailoutbox}
    fr, nl, en = (mails[a.email] for a in (fr_app, nl_app, en_app))
    assert fr.extra_headers["Content-Language"] == "fr"
    assert "Développer un produit à base de textile recyclé" in fr.subject
    assert "Rendez-vous le 29 septembre à GreenFabric." in fr.body
    assert nl.extra_headers["Content-Language"] == "nl"
    assert "Een product ontwikkelen met gerecycleerd textiel" in nl.subject
    assert en.extra_headers["Content-Language"] == "en"
    assert "Developing a product from recycled textile" in en.body
    assert "Rendez-vous" not in nl.body + en.body
    rw.call.refresh_from_db()
    assert rw.call.state == CallState.DECIDED
    with pytest.raises(ProgrammeError) as exc:
        decide(actor=officer, application=_fresh(fr_app), decision=ApplicationState.REFUSED)
    assert exc.value.code == "decision_sent"
    with pytest.raises(ProgrammeError) as exc:
        send_decisions(actor=officer, call=rw.call)
    assert exc.value.code == "nothing_to_send"


def test_a_decision_may_change_until_it_is_sent(rw: ReviewWorld) -> None:
    officer = rw.actor(rw.officer)
    app = rw.applications[0]
    decide(actor=officer, application=app, decision=ApplicationState.WAITLISTED)
    decide(actor=officer, application=_fresh(app), decision=ApplicationState.ACCEPTED)
    assert _fresh(app).state == ApplicationState.ACCEPTED
    with pytest.raises(ProgrammeError) as exc:
        decide(actor=officer, application=app, decision="maybe")
    assert exc.value.code == "invalid_decision"
