"""E-mails of the selection (django.tasks): interview invitations and bookings, decisions.

Each is written in the applicant's language (the language they applied in, else the one of
their account) and sent to the address of the application.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from reproduce.programme import ical_interviews
from reproduce.programme.models import DECIDED_STATES, Application, InterviewSlot

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def language_of(application: Application) -> str:
    """The applicant's language: the application's, else their account's, else French."""
    for code in (
        application.language,
        getattr(application.applicant, "preferred_language", ""),
        settings.LANGUAGE_CODE,
    ):
        if code and code[:2] in LANGUAGES:
            return code[:2]
    return "fr"


def recipient(application: Application) -> str:
    return application.email or getattr(application.applicant, "email", "") or ""


def _link(name: str, *args: Any) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _message(
    application: Application, template: str, context: dict[str, Any]
) -> EmailMessage | None:
    """The e-mail ``template`` for ``application``, rendered in the applicant's language."""
    to = recipient(application)
    if not to or application.anonymised_at is not None:
        return None
    language = language_of(application)
    with translation.override(language):
        data = {"application": application, "call": application.call, **context}
        data |= {k: v() if callable(v) else v for k, v in data.items() if k.endswith("_link")}
        subject = render_to_string(f"programme/email/{template}_subject.txt", data).strip()
        body = render_to_string(f"programme/email/{template}_body.txt", data)
    message = EmailMessage(subject, body, None, [to])
    message.extra_headers["Content-Language"] = language
    return message


def _application(application_id: int) -> Application:
    return (
        Application.objects.unscoped("background job: one application by id")
        .select_related("call", "applicant")
        .get(pk=application_id)
    )


@task()
def send_interview_invitation(application_id: int) -> int:
    """Invite a shortlisted applicant to pick an interview slot."""
    application = _application(application_id)
    message = _message(
        application,
        "interview_invitation",
        {"booking_link": lambda: _link("programme:interview_booking", application.pk)},
    )
    return message.send() if message is not None else 0


@task()
def send_interview_booked(slot_id: int) -> int:
    """Confirm a booked interview, with the iCalendar invitation attached."""
    slot = (
        InterviewSlot.objects.unscoped("background job: one slot by id")
        .select_related("call", "application__applicant", "application__call")
        .get(pk=slot_id)
    )
    if slot.application is None:
        return 0  # freed meanwhile
    message = _message(
        slot.application,
        "interview_booked",
        {
            "slot": slot,
            "booking_link": lambda: _link("programme:interview_booking", slot.application_id),
        },
    )
    if message is None:
        return 0
    with translation.override(language_of(slot.application)):
        message.attach(
            ical_interviews.filename(slot),
            ical_interviews.slot_calendar(slot),
            "text/calendar; method=PUBLISH; charset=utf-8",
        )
    return message.send()


@task()
def send_decision(application_id: int) -> int:
    """The decision (selected, waiting list, not selected) with the officer's message."""
    from reproduce.programme.services.decisions import decision_message

    application = _application(application_id)
    if application.state not in DECIDED_STATES:
        return 0
    message = _message(
        application,
        f"decision_{application.state}",
        {"personal_message": decision_message(application)},
    )
    return message.send() if message is not None else 0
