"""Selection: the officer records a decision on each application (selected, waiting list, not
selected) with an optional personal message, then sends the decisions — one e-mail per
applicant, in the applicant's language.

A decision may change until it is sent; once sent it stays (``decision_sent``). The personal
message is checked against the FEDER wording rule (``forbidden_wording``) and kept in the
audit log entry of the decision, which is where the e-mail reads it from.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.programme.models import (
    DECIDED_STATES,
    Application,
    ApplicationState,
    Call,
    CallState,
)
from reproduce.programme.services import ProgrammeError
from reproduce.programme.wording import describe, find_forbidden

DECIDABLE = (ApplicationState.SUBMITTED, ApplicationState.INTERVIEW, *DECIDED_STATES)
MAX_MESSAGE = 3000
DECIDE_ACTION = "application.decided"


def check_message(message: str) -> str:
    """The officer's personal message, stripped; ``forbidden_wording`` / ``message_too_long``."""
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ProgrammeError(
            _("The message is too long (at most %(max)s characters).") % {"max": MAX_MESSAGE},
            "message_too_long",
            "message",
        )
    findings = find_forbidden(message)
    if findings:
        raise ProgrammeError(describe(findings), "forbidden_wording", "message")
    return message


@transaction.atomic
def decide(
    *, actor: Actor, application: Application, decision: str, message: str = ""
) -> Application:
    """Record ``decision`` (accepted, waitlisted, refused) on ``application``, with an
    optional personal message for the applicant. Nothing is sent yet (see
    :func:`send_decisions`).

    Refusals: ``invalid_decision``, ``forbidden_wording``, ``message_too_long``,
    ``invalid_transition`` (a draft or withdrawn application), ``decision_sent``.
    """
    require(actor, "programme.manage")
    if decision not in DECIDED_STATES:
        raise ProgrammeError(
            _("Choose: selected, waiting list or not selected."), "invalid_decision", "decision"
        )
    message = check_message(message)
    before = application.state
    now = timezone.now()
    updated = (
        Application.objects.unscoped("the service checked the actor")
        .filter(pk=application.pk, state__in=DECIDABLE, decision_sent_at__isnull=True)
        .update(state=decision, decided_at=now, updated_at=now, decision_message=message)
    )
    if updated != 1:
        fresh = Application.objects.unscoped("why the decision was refused").get(pk=application.pk)
        if fresh.decision_sent_at is not None:
            raise ProgrammeError(
                _("The decision was already sent to the applicant."), "decision_sent"
            )
        raise ProgrammeError(
            _("Only a submitted application can be decided."), "invalid_transition"
        )
    application.state, application.decided_at = decision, now
    audit.record(
        actor=actor,
        action=DECIDE_ACTION,
        obj=application,
        # The message itself stays on the application (erased with the personal data at the
        # end of the retention period), not in the append-only log.
        changes={"state": [before, decision], "with_message": bool(message)},
    )
    return application


def decision_message(application: Application) -> str:
    """The personal message of the latest decision on ``application`` ("" without one)."""
    return application.decision_message


def pending(call: Call) -> list[Application]:
    """Decided applications of ``call`` whose decision is not sent yet."""
    return list(
        Application.objects.unscoped("the caller checked the actor")
        .filter(call=call, state__in=DECIDED_STATES, decision_sent_at__isnull=True)
        .order_by("reference")
    )


@transaction.atomic
def send_decisions(*, actor: Actor, call: Call) -> int:
    """Send every decided, unsent decision of ``call`` (one e-mail per applicant, in their
    language); returns how many. When no application is left undecided, the call becomes
    *decided*. Refusal: ``nothing_to_send``."""
    require(actor, "programme.manage")
    apps = pending(call)
    if not apps:
        raise ProgrammeError(_("There is no decision to send."), "nothing_to_send")
    now = timezone.now()
    sent = [
        a.pk
        for a in apps
        if Application.objects.unscoped("the service checked the actor")
        .filter(pk=a.pk, decision_sent_at__isnull=True)
        .update(decision_sent_at=now)
    ]
    _close_selection(call)
    audit.record(
        actor=actor,
        action="call.decisions_sent",
        obj=call,
        changes={"applications": sent},
    )
    from reproduce.programme import tasks_decisions

    for pk in sent:
        transaction.on_commit(partial(tasks_decisions.send_decision.enqueue, pk))
    return len(sent)


def _close_selection(call: Call) -> None:
    undecided = (
        Application.objects.unscoped("the caller checked the actor")
        .filter(call=call, state__in=[ApplicationState.SUBMITTED, ApplicationState.INTERVIEW])
        .exists()
    )
    if not undecided and call.state == CallState.CLOSED:
        Call.objects.unscoped("the caller checked the actor").filter(
            pk=call.pk, state=CallState.CLOSED
        ).update(state=CallState.DECIDED)
        call.state = CallState.DECIDED
