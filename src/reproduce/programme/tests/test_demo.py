"""The programme demo: Cohort 1 as it happened (through the services), Cohort 2 open now."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from reproduce.core.models import AuditEvent
from reproduce.programme.demo import (
    CANDIDATE,
    COHORT_1_SLUG,
    COHORT_2_SLUG,
    DemoProgramme,
    load_demo_programme,
)
from reproduce.programme.models import (
    Application,
    ApplicationDocument,
    ApplicationState,
    Attendance,
    Call,
    CallState,
    Conflict,
    Event,
    Grant,
    GrantState,
    InterviewSlot,
    Participant,
    ParticipantState,
    Registration,
    Score,
    Session,
)
from reproduce.programme.services import indicators

U = "test"


@pytest.fixture(scope="module")
def demo(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[DemoProgramme]:
    """The network and programme demos loaded once for the module, rolled back at the end."""
    from reproduce.network.demo import load_demo_network

    media = str(tmp_path_factory.mktemp("demo-media"))
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        translation.override("en"),
        transaction.atomic(),
    ):
        load_demo_network()
        yield load_demo_programme()
        transaction.set_rollback(True)


def _call(slug: str) -> Call:
    return Call.objects.unscoped(U).get(slug=slug)


@pytest.mark.django_db
def test_cohort_one_call_has_the_snapshots_dates_and_hosts(demo: DemoProgramme) -> None:
    assert demo.loaded
    call = _call(COHORT_1_SLUG)
    assert call.title_fr.endswith("Développer un produit à base de textile recyclé")
    assert call.title_nl and call.title_en
    assert (call.opens_on.isoformat(), call.deadline.date().isoformat()) == (
        "2025-06-16",
        "2025-08-14",
    )
    assert (str(call.interviews_from), str(call.interviews_to)) == ("2025-08-20", "2025-08-30")
    assert str(call.announcement_on) == "2025-09-01"
    assert (call.starts_on.isoformat(), call.ends_on.isoformat()) == ("2025-09-29", "2026-05-29")
    assert call.places == 6 and call.state == CallState.DECIDED and call.is_demo
    assert [c["points"] for c in call.criteria] == [40, 30, 10, 20]
    assert set(call.host_fablabs.values_list("slug", flat=True)) == {
        "greenfabric", "microfactory", "cityfab-1", "cityfab-2", "cityfab-3"
    }  # fmt: skip


@pytest.mark.django_db
def test_fourteen_applications_reviewed_interviewed_and_decided(demo: DemoProgramme) -> None:
    apps = Application.objects.unscoped(U).filter(call__slug=COHORT_1_SLUG)
    assert apps.count() == 14
    states = sorted(apps.values_list("state", flat=True))
    assert states.count(ApplicationState.ACCEPTED) == 6
    assert states.count(ApplicationState.WAITLISTED) == 3
    assert states.count(ApplicationState.REFUSED) == 5
    assert all(a.submitted_at and a.decision_sent_at for a in apps)
    assert ApplicationDocument.objects.unscoped(U).filter(application__in=apps).count() == 28
    assert apps.filter(is_future_entrepreneur=True).count() == 4
    assert Conflict.objects.unscoped(U).filter(application__in=apps).count() == 1
    scored = Score.objects.unscoped(U).filter(assignment__application__in=apps)
    assert scored.values("assignment").distinct().count() == 27  # 14 × 2 − the conflict
    booked = InterviewSlot.objects.unscoped(U).filter(call__slug=COHORT_1_SLUG)
    assert booked.filter(application__isnull=False).count() == 10


@pytest.mark.django_db
def test_the_cohort_ran_its_32_sessions_with_grants_and_follow_ups(demo: DemoProgramme) -> None:
    participants = Participant.objects.unscoped(U).filter(cohort__call__slug=COHORT_1_SLUG)
    assert participants.count() == 6
    assert all(p.state == ParticipantState.COMPLETED for p in participants)
    assert all(p.convention_signed_at and hasattr(p, "de_minimis") for p in participants)
    sessions = Session.objects.unscoped(U).filter(cohort__call__slug=COHORT_1_SLUG)
    assert sessions.count() == 32
    assert Attendance.objects.unscoped(U).filter(session__in=sessions).count() == 32 * 6
    grants = Grant.objects.unscoped(U).filter(participant__in=participants)
    assert grants.filter(kind="base", state=GrantState.PAID).count() == 6
    assert grants.filter(kind="materials", state=GrantState.PAID).count() == 4
    # The steps are dated when they happened, not when the demo was loaded.
    signed = AuditEvent.objects.filter(action="participant.convention_signed").first()
    assert signed is not None and signed.occurred_at.date().isoformat() == "2025-09-29"


@pytest.mark.django_db
def test_indicators_of_the_demo(demo: DemoProgramme) -> None:
    report = indicators.compute(Participant.objects.unscoped(U))
    figures = {i.code: i.value for i in report.indicators}
    distinct = Participant.objects.unscoped(U).values("enterprise_key").distinct().count()
    assert figures["RCO01"] == distinct == 6
    assert figures["RCO04"] == 6
    assert figures["RCO05"] == 2  # Sofia and Thomas had no enterprise yet
    assert figures["RCR01"] == Decimal("4.80")


@pytest.mark.django_db
def test_events_and_the_open_second_call(demo: DemoProgramme, client_for: Any) -> None:
    faire = Event.objects.unscoped(U).get(kind="maker_faire")
    assert faire.is_published and faire.cohort is not None
    registrations = Registration.objects.unscoped(U).filter(event=faire)
    assert registrations.count() == 6 and registrations.filter(attended=True).count() == 5
    assert Event.objects.unscoped(U).filter(kind="meet_the_maker", is_published=True).exists()
    second = _call(COHORT_2_SLUG)
    assert second.state == CallState.PUBLISHED
    draft = Application.objects.unscoped(U).get(call=second, applicant__email=CANDIDATE)
    assert draft.state == ApplicationState.DRAFT
    listed = client_for(None).get("/api/v1/calls")
    assert listed.status_code == 200
    assert COHORT_2_SLUG in listed.content.decode()


@pytest.mark.django_db
def test_loading_again_changes_nothing(demo: DemoProgramme) -> None:
    before = Application.objects.unscoped(U).count()
    again = load_demo_programme()
    assert not again.loaded
    assert Application.objects.unscoped(U).count() == before
