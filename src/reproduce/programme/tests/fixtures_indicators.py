"""Two cohorts with participants, attendance, follow-ups and grants, for the FEDER indicators.

Rows are made directly (the figures read records; how records are written is tested with the
services that write them):

* Cohort 1 (call ``c1``, Sept 2025 – May 2026): Atelier Lin (BE0403170701, baseline 1 FTE,
  follow-ups 1.5 then 2.5), Papier Brol (BE0417497106, baseline 2, follow-up 1: fewer jobs
  → 0 created), Nora's future enterprise (no number, new enterprise, follow-up 1), each
  present at sessions except Papier Brol (excused only).
* Cohort 2 (call ``c2``, Sept 2026 – May 2027): Atelier Lin again (same number: one
  enterprise, its latest follow-up 3.0 counts against its first baseline 1), and Kapok
  (BE0202239951, new enterprise, baseline 0, no follow-up yet).

So over everything: RCO01 = 4 enterprises, RCO04 = 2 (Lin and Nora: Papier Brol attended no
session present; Kapok none yet), RCO05 = 2, RCR01 = (3.0 − 1) + 0 + 1 + 0 = 3.00 FTE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from reproduce.accounts.models import NetworkRole, Organization, User
from reproduce.programme.models import (
    Application,
    ApplicationDocument,
    ApplicationState,
    Attendance,
    AttendanceStatus,
    Call,
    CallState,
    Cohort,
    EmploymentRecord,
    Grant,
    GrantKind,
    GrantState,
    InterviewSlot,
    Participant,
    ReviewAssignment,
    Score,
    Session,
    SessionPhase,
)

U = "test fixture"


@dataclass
class Programme:
    officer: Any
    reviewer: Any
    applicant: Any  # Atelier Lin's person (a signed-in applicant)
    fablab: Any
    c1: Any
    c2: Any
    cohort1: Any
    cohort2: Any
    participants: dict[str, Any] = field(default_factory=dict)


def aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def make_call(slug: str, starts: date, ends: date, fablab: Any) -> Call:
    call = Call.objects.unscoped(U).create(
        slug=slug,
        title_fr=f"Appel {slug}",
        title_nl=f"Oproep {slug}",
        title_en=f"Call {slug}",
        description_fr="Description",
        description_nl="Beschrijving",
        description_en="Description",
        opens_on=date(starts.year, 6, 16),
        deadline=aware(date(starts.year, 8, 14), 23),
        starts_on=starts,
        ends_on=ends,
        places=6,
        state=CallState.DECIDED,
        retention_months=24,
    )
    call.host_fablabs.add(fablab)
    return call


def make_participant(
    cohort: Cohort,
    fablab: Any,
    *,
    ref: str,
    person: tuple[str, str],
    enterprise: str,
    number: str,
    baseline: str,
    new: bool = False,
    applicant: Any = None,
) -> Participant:
    app = Application.objects.unscoped(U).create(
        reference=ref,
        call=cohort.call,
        applicant=applicant,
        state=ApplicationState.ACCEPTED,
        first_name=person[0],
        last_name=person[1],
        email=f"{person[0].lower()}@example.test",
        phone="+32 470 12 34 56",
        postcode="1080",
        is_future_entrepreneur=not number,
        enterprise_name=enterprise,
        enterprise_number=number,
        contribution=f"{person[0]} brings weaving.",
        answers={"product": "Un sac en lin recyclé"},
        officer_note="Très motivée",
    )
    org = Organization.objects.create(
        name=enterprise or f"{person[0]} {person[1]}", slug=ref.lower(), kind="artisan"
    )
    return Participant.objects.unscoped(U).create(  # type: ignore[no-any-return]
        cohort=cohort,
        application=app,
        organization=org,
        host_fablab=fablab,
        enterprise_key=number or f"person:{ref}",
        is_new_enterprise=new,
        baseline_fte=Decimal(baseline),
    )


def follow_up(participant: Participant, on: date, fte: str) -> None:
    EmploymentRecord.objects.unscoped(U).create(
        participant=participant, on=on, fte=Decimal(fte), note="Declared at the follow-up call"
    )


def attend(cohort: Cohort, participant: Participant, number: int, status: str) -> None:
    session, _ = Session.objects.unscoped(U).get_or_create(
        cohort=cohort,
        number=number,
        defaults={
            "phase": SessionPhase.BOOTCAMP if number == 1 else SessionPhase.IDEATION,
            "starts_at": aware(cohort.starts_on.replace(day=29 if number == 1 else 30)),
            "title": f"S{number}",
        },
    )
    Attendance.objects.unscoped(U).create(session=session, participant=participant, status=status)


def build_programme() -> Programme:
    officer = User.objects.create_user(email="officer@programme.test", password="pw-Test-12345")
    NetworkRole.objects.create(user=officer, role="programme_officer")
    reviewer = User.objects.create_user(email="reviewer@programme.test", password="pw-Test-12345")
    NetworkRole.objects.create(user=reviewer, role="reviewer")
    applicant = User.objects.create_user(email="lin@example.test", password="pw-Test-12345")
    fablab = Organization.objects.create(name="Green Fabric", slug="greenfabric", kind="fablab")
    c1 = make_call("c1", date(2025, 9, 29), date(2026, 5, 29), fablab)
    c2 = make_call("c2", date(2026, 9, 28), date(2027, 5, 28), fablab)
    cohort1 = Cohort.objects.unscoped(U).create(
        call=c1, name="Cohort 1", starts_on=c1.starts_on, ends_on=c1.ends_on
    )
    cohort2 = Cohort.objects.unscoped(U).create(
        call=c2, name="Cohort 2", starts_on=c2.starts_on, ends_on=c2.ends_on
    )
    p = Programme(officer, reviewer, applicant, fablab, c1, c2, cohort1, cohort2)
    lin = make_participant(
        cohort1,
        fablab,
        ref="C1-001",
        person=("Lina", "Verhoeven"),
        enterprise="Atelier Lin",
        number="0403170701",
        baseline="1",
        applicant=applicant,
    )
    brol = make_participant(
        cohort1,
        fablab,
        ref="C1-002",
        person=("Marc", "Dubois"),
        enterprise="Papier Brol",
        number="0417497106",
        baseline="2",
    )
    nora = make_participant(
        cohort1,
        fablab,
        ref="C1-003",
        person=("Nora", "El Idrissi"),
        enterprise="",
        number="",
        baseline="0",
        new=True,
    )
    lin2 = make_participant(
        cohort2,
        fablab,
        ref="C2-001",
        person=("Lina", "Verhoeven"),
        enterprise="Atelier Lin",
        number="0403170701",
        baseline="2.5",
    )
    kapok = make_participant(
        cohort2,
        fablab,
        ref="C2-002",
        person=("Sam", "Peeters"),
        enterprise="Kapok",
        number="0202239951",
        baseline="0",
        new=True,
    )
    follow_up(lin, date(2026, 1, 15), "1.5")
    follow_up(lin, date(2026, 6, 1), "2.5")
    follow_up(lin2, date(2026, 11, 30), "3.0")
    follow_up(brol, date(2026, 6, 1), "1")
    follow_up(nora, date(2026, 6, 1), "1")
    attend(cohort1, lin, 1, AttendanceStatus.PRESENT)
    attend(cohort1, lin, 2, AttendanceStatus.PRESENT)
    attend(cohort1, nora, 1, AttendanceStatus.PRESENT)
    attend(cohort1, brol, 1, AttendanceStatus.EXCUSED)
    attend(cohort2, lin2, 1, AttendanceStatus.PRESENT)
    for participant in (lin, nora):
        Grant.objects.unscoped(U).create(
            participant=participant,
            kind=GrantKind.BASE,
            amount=Decimal(1000),
            state=GrantState.PAID,
            paid_at=aware(date(2025, 10, 15)),
        )
    Grant.objects.unscoped(U).create(
        participant=lin, kind=GrantKind.MATERIALS, amount=Decimal("420.50"), state=GrantState.PAID
    )
    p.participants = {"lin": lin, "brol": brol, "nora": nora, "lin2": lin2, "kapok": kapok}
    return p


def add_review_traces(p: Programme, blob: Any) -> None:
    """Comments, a document and an interview link on Cohort 1's first application."""
    app = p.participants["lin"].application
    assignment = ReviewAssignment.objects.unscoped(U).create(
        application=app, reviewer=p.reviewer, comment="Knows Lina from the Marolles"
    )
    Score.objects.unscoped(U).create(
        assignment=assignment, criterion="fit", points=Decimal(35), comment="Strong portfolio"
    )
    ApplicationDocument.objects.unscoped(U).create(
        application=app, kind="cv", blob=blob, filename="cv-lina.pdf"
    )
    InterviewSlot.objects.unscoped(U).create(
        call=p.c1,
        starts_at=aware(date(2025, 8, 21), 10),
        ends_at=aware(date(2025, 8, 21), 11),
        meeting_url="https://meet.example.test/lina",
        application=app,
    )


@pytest.fixture(name="programme")
def programme_fixture(db: Any) -> Programme:
    """Import ``programme_fixture`` in a test module; tests then ask for ``programme``."""
    return build_programme()
