"""Cohorts: the plan, admitting, convention, de minimis, attendance, employment, grants."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from reproduce.accounts.models import Membership, Organization
from reproduce.programme.models import (
    AttendanceStatus,
    Grant,
    GrantKind,
    GrantState,
    Participant,
    Session,
    SessionPhase,
)
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services import cohorts as svc
from reproduce.programme.tests.fixtures_cohorts import (
    CohortWorld,
    cw_bare_fixture,  # noqa: F401 - the ``cw_bare`` fixture
    cw_fixture,  # noqa: F401 - the ``cw`` fixture
    make_application,
    make_user,
)

pytestmark = pytest.mark.django_db


def _declare(world: CohortWorld, key: str, aids: list[dict[str, Any]] | None = None) -> Any:
    participant = world.participants[key]
    return svc.declare_de_minimis(
        actor=world.actor(world.users[key]),
        participant=participant,
        aids=aids or [],
        statement="I declare on my honour…",
    )


def _receipt(world: CohortWorld, grant: Grant, amount: str, key: str = "sme") -> Any:
    from reproduce.files.tests.samples import pdf_bytes

    return svc.add_receipt(
        actor=world.actor(world.users[key]),
        grant=grant,
        upload=io.BytesIO(pdf_bytes()),
        filename="invoice.pdf",
        amount=amount,
        dated=timezone.localdate(),
        supplier="Les Petits Riens",
    )


# ---------------------------------------------------------------- plan and admitting


def test_cohort_plan_has_32_weekly_sessions_in_their_phases(cw: CohortWorld) -> None:
    sessions = list(Session.objects.unscoped("test").filter(cohort=cw.cohort).order_by("number"))
    assert [s.number for s in sessions] == list(range(1, 33))
    phases = [s.phase for s in sessions]
    assert phases[0] == SessionPhase.BOOTCAMP
    assert phases[1:5] == [SessionPhase.IDEATION] * 4
    assert phases[5:11] == [SessionPhase.PROTOTYPING] * 6
    assert phases[11:20] == [SessionPhase.COMMERCIALISATION] * 9
    assert phases[20:26] == [SessionPhase.PRODUCTION] * 6
    assert phases[26:] == [SessionPhase.WRAP_UP] * 6
    first = timezone.localtime(sessions[0].starts_at)
    assert first.date() == date(2025, 9, 29)
    assert timezone.localtime(sessions[31].starts_at).date() == date(2025, 9, 29) + timedelta(
        weeks=31
    )
    # Creating it again returns the same cohort, the plan is not doubled.
    again = svc.create_cohort(actor=cw.officer_actor, call=cw.call)
    assert again.pk == cw.cohort.pk
    assert Session.objects.unscoped("test").filter(cohort=cw.cohort).count() == 32


def test_only_officers_create_cohorts(cw_bare: CohortWorld) -> None:
    with pytest.raises(PermissionDenied):
        svc.create_cohort(actor=cw_bare.actor(cw_bare.reviewer), call=cw_bare.call)


def test_update_session(cw: CohortWorld) -> None:
    session = Session.objects.unscoped("test").get(cohort=cw.cohort, number=3)
    moved = session.starts_at + timedelta(days=1)
    svc.update_session(
        actor=cw.officer_actor, session=session, values={"title": "Dyeing", "starts_at": moved}
    )
    session.refresh_from_db()
    assert (session.title, session.starts_at) == ("Dyeing", moved)
    with pytest.raises(ProgrammeError) as exc:
        svc.update_session(actor=cw.officer_actor, session=session, values={"title": "  "})
    assert exc.value.code == "title_required"


def test_admit_creates_the_enterprise_with_its_owner_and_fablab_access(cw: CohortWorld) -> None:
    sme = cw.participants["sme"]
    assert sme.enterprise_key == "0403.170.701"
    assert sme.organization.enterprise_number == "0403.170.701"
    assert sme.organization.kind == Organization.Kind.SME
    assert sme.organization.name == "Atelier BruCycle"
    assert sme.baseline_fte == Decimal("2.50")
    assert sme.is_new_enterprise is False
    roles = dict(
        Membership.objects.unscoped("test")
        .filter(user=cw.users["sme"])
        .values_list("organization_id", "role")
    )
    assert roles == {sme.organization_id: "owner", cw.lab1.pk: "operator"}


def test_a_future_entrepreneur_gets_an_organisation_named_after_them(cw: CohortWorld) -> None:
    future = cw.participants["future"]
    assert future.enterprise_key == "person:C1-003"
    assert future.is_new_enterprise is True
    assert future.organization.enterprise_number == ""
    assert future.organization.name == "Ana C1-003"
    assert "Future entrepreneur" in future.organization.description
    assert future.baseline_fte == 0


def test_an_enterprise_created_after_the_start_is_new(cw: CohortWorld) -> None:
    artisan = svc.admit(actor=cw.officer_actor, application=cw.apps["artisan"], host_fablab=cw.lab1)
    assert artisan.is_new_enterprise is True  # created 1 October 2025, start 29 September
    assert artisan.organization.kind == Organization.Kind.ARTISAN


def test_admit_reuses_the_organisation_of_the_enterprise_number(cw_bare: CohortWorld) -> None:
    existing = Organization.objects.create(
        name="BruCycle", slug="brucycle", kind="sme", enterprise_number="0403.170.701"
    )
    owner = make_user("owner@brucycle.test")
    Membership.objects.unscoped("test").create(user=owner, organization=existing, role="owner")
    participant = svc.admit(
        actor=cw_bare.officer_actor, application=cw_bare.apps["sme"], host_fablab=cw_bare.lab1
    )
    assert participant.organization == existing
    # The organisation has an owner: an enterprise number typed in a form does not make the
    # applicant its owner; its owners invite them.
    assert not (
        Membership.objects.unscoped("test")
        .filter(user=cw_bare.users["sme"], organization=existing)
        .exists()
    )


def test_admit_refusals(cw: CohortWorld) -> None:
    officer = cw.officer_actor
    with pytest.raises(ProgrammeError) as exc:
        svc.admit(actor=officer, application=cw.apps["sme"], host_fablab=cw.lab1)
    assert exc.value.code == "already_participant"
    other_lab = Organization.objects.create(name="Elsewhere", slug="elsewhere", kind="fablab")
    with pytest.raises(ProgrammeError) as exc:
        svc.admit(actor=officer, application=cw.apps["artisan"], host_fablab=other_lab)
    assert exc.value.code == "not_host_fablab"
    waiting = make_application(cw.call, make_user("w@maker.test"), "C1-009", state="waitlisted")
    with pytest.raises(ProgrammeError) as exc:
        svc.admit(actor=officer, application=waiting, host_fablab=cw.lab1)
    assert exc.value.code == "not_accepted"
    with pytest.raises(PermissionDenied):
        svc.admit(actor=cw.actor(cw.reviewer), application=cw.apps["artisan"], host_fablab=cw.lab1)


def test_admit_refuses_beyond_the_places(cw: CohortWorld) -> None:
    cw.call.places = 2
    cw.call.save()
    with pytest.raises(ProgrammeError) as exc:
        svc.admit(actor=cw.officer_actor, application=cw.apps["artisan"], host_fablab=cw.lab1)
    assert exc.value.code == "cohort_full"


def test_a_typo_in_the_enterprise_number_is_refused(cw: CohortWorld) -> None:
    app = cw.apps["artisan"]
    app.enterprise_number = "0417.497.107"
    app.save()
    with pytest.raises(ProgrammeError) as exc:
        svc.admit(actor=cw.officer_actor, application=app, host_fablab=cw.lab1)
    assert exc.value.code == "invalid_enterprise_number"


# ---------------------------------------------------------------- convention


def test_sign_convention_once_by_the_participant_only(cw: CohortWorld) -> None:
    participant = cw.participants["sme"]
    with pytest.raises(PermissionDenied):
        svc.sign_convention(actor=cw.officer_actor, participant=participant)
    with pytest.raises(PermissionDenied):
        svc.sign_convention(actor=cw.actor(cw.users["future"]), participant=participant)
    svc.sign_convention(actor=cw.actor(cw.users["sme"]), participant=participant)
    first = Participant.objects.unscoped("test").get(pk=participant.pk).convention_signed_at
    assert first is not None
    svc.sign_convention(actor=cw.actor(cw.users["sme"]), participant=participant)
    assert Participant.objects.unscoped("test").get(pk=participant.pk).convention_signed_at == first


# ---------------------------------------------------------------- de minimis declaration


def test_declare_de_minimis(cw: CohortWorld) -> None:
    declaration = _declare(
        cw,
        "sme",
        [
            {"granted_on": date(2024, 5, 2), "grantor": "hub.brussels", "amount": "12000"},
            {"granted_on": date(2023, 1, 9), "grantor": "Innoviris", "amount": Decimal("800.50")},
        ],
    )
    assert declaration.signed_at is not None
    assert sorted(a.amount for a in declaration.aids.all()) == [Decimal("800.50"), 12000]
    # Declaring again replaces the list.
    _declare(cw, "sme", [{"granted_on": date(2024, 5, 2), "grantor": "hub", "amount": 1}])
    assert declaration.aids.count() == 1


@pytest.mark.parametrize(
    ("aid", "code"),
    [
        ({"granted_on": "tomorrow", "grantor": "X", "amount": 10}, "date_in_future"),
        ({"granted_on": None, "grantor": "X", "amount": 10}, "date_required"),
        ({"granted_on": date(2024, 1, 1), "grantor": " ", "amount": 10}, "grantor_required"),
        ({"granted_on": date(2024, 1, 1), "grantor": "X", "amount": "-5"}, "invalid_amount"),
        ({"granted_on": date(2024, 1, 1), "grantor": "X", "amount": "abc"}, "invalid_amount"),
    ],
)
def test_bad_de_minimis_declarations_keep_the_previous_one(
    cw: CohortWorld, aid: dict[str, Any], code: str
) -> None:
    _declare(cw, "sme", [{"granted_on": date(2024, 5, 2), "grantor": "hub", "amount": "100"}])
    if aid["granted_on"] == "tomorrow":
        aid = {**aid, "granted_on": timezone.localdate() + timedelta(days=1)}
    with pytest.raises(ProgrammeError) as exc:
        _declare(cw, "sme", [aid])
    assert exc.value.code == code
    declaration = cw.participants["sme"].de_minimis
    assert [a.grantor for a in declaration.aids.all()] == ["hub"]  # nothing lost


def test_the_statement_must_be_signed(cw: CohortWorld) -> None:
    with pytest.raises(ProgrammeError) as exc:
        svc.declare_de_minimis(
            actor=cw.actor(cw.users["sme"]),
            participant=cw.participants["sme"],
            aids=[],
            statement="",
        )
    assert exc.value.code == "statement_required"


def test_only_the_participant_declares(cw: CohortWorld) -> None:
    with pytest.raises(PermissionDenied):
        svc.declare_de_minimis(
            actor=cw.officer_actor, participant=cw.participants["sme"], aids=[], statement="x"
        )


# ---------------------------------------------------------------- attendance and employment


def test_attendance_sheet_and_corrections(cw: CohortWorld) -> None:
    session = Session.objects.unscoped("test").get(cohort=cw.cohort, number=1)
    sme, future = cw.participants["sme"], cw.participants["future"]
    changed = svc.record_attendance_sheet(
        actor=cw.officer_actor,
        session=session,
        statuses={sme: AttendanceStatus.PRESENT, future: AttendanceStatus.EXCUSED},
    )
    assert changed == 2
    svc.record_attendance(
        actor=cw.officer_actor, session=session, participant=future, status="absent"
    )
    rows = dict(session.attendance.values_list("participant_id", "status"))
    assert rows == {sme.pk: "present", future.pk: "absent"}
    with pytest.raises(ProgrammeError) as exc:
        svc.record_attendance(
            actor=cw.officer_actor, session=session, participant=sme, status="late"
        )
    assert exc.value.code == "invalid_status"


def test_attendance_of_another_cohort_is_refused(cw: CohortWorld) -> None:
    from reproduce.programme.tests.fixtures_cohorts import make_call

    other_call = make_call("other")
    other_call.host_fablabs.add(cw.lab1)
    other = svc.create_cohort(actor=cw.officer_actor, call=other_call)
    session = Session.objects.unscoped("test").get(cohort=other, number=1)
    with pytest.raises(ProgrammeError) as exc:
        svc.record_attendance(
            actor=cw.officer_actor,
            session=session,
            participant=cw.participants["sme"],
            status="present",
        )
    assert exc.value.code == "other_cohort"


def test_employment_follow_ups(cw: CohortWorld) -> None:
    sme = cw.participants["sme"]
    record = svc.record_employment(
        actor=cw.officer_actor, participant=sme, on=date(2026, 1, 15), fte="3.5"
    )
    assert record.fte == Decimal("3.50")
    for on, fte, code in [
        (timezone.localdate() + timedelta(days=2), "1", "date_in_future"),
        (date(2026, 1, 1), "-1", "invalid_fte"),
        (date(2026, 1, 1), "many", "invalid_fte"),
    ]:
        with pytest.raises(ProgrammeError) as exc:
            svc.record_employment(actor=cw.officer_actor, participant=sme, on=on, fte=fte)
        assert exc.value.code == code


# ---------------------------------------------------------------- grants


def test_grant_lifecycle(cw: CohortWorld) -> None:
    sme = cw.participants["sme"]
    grant = svc.request_grant(actor=cw.actor(cw.users["sme"]), participant=sme, kind="base")
    assert (grant.amount, grant.state) == (Decimal("1000.00"), GrantState.REQUESTED)
    with pytest.raises(ProgrammeError) as exc:
        svc.approve_grant(actor=cw.officer_actor, grant=grant)
    assert exc.value.code == "de_minimis_missing"
    _declare(cw, "sme")
    with pytest.raises(ProgrammeError) as exc:
        svc.pay_grant(actor=cw.officer_actor, grant=grant, reference="X")
    assert exc.value.code == "invalid_transition"
    svc.approve_grant(actor=cw.officer_actor, grant=grant)
    with pytest.raises(ProgrammeError) as exc:
        svc.pay_grant(actor=cw.officer_actor, grant=grant, reference=" ")
    assert exc.value.code == "reference_required"
    svc.pay_grant(actor=cw.officer_actor, grant=grant, reference="BE-2025-0042")
    grant.refresh_from_db()
    assert grant.state == GrantState.PAID and grant.payment_reference == "BE-2025-0042"
    assert grant.paid_at is not None


def test_participants_cannot_approve_their_own_grant(cw: CohortWorld) -> None:
    sme = cw.participants["sme"]
    grant = svc.request_grant(actor=cw.actor(cw.users["sme"]), participant=sme, kind="base")
    with pytest.raises(PermissionDenied):
        svc.approve_grant(actor=cw.actor(cw.users["sme"]), grant=grant)
    with pytest.raises(PermissionDenied):
        svc.request_grant(actor=cw.actor(cw.users["future"]), participant=sme, kind="base")


def test_base_grant_once_and_at_most_1000(cw: CohortWorld) -> None:
    sme = cw.participants["sme"]
    actor = cw.actor(cw.users["sme"])
    with pytest.raises(ProgrammeError) as exc:
        svc.request_grant(actor=actor, participant=sme, kind="base", amount="1000.01")
    assert exc.value.code == "over_ceiling"
    first = svc.request_grant(actor=actor, participant=sme, kind="base")
    with pytest.raises(ProgrammeError) as exc:
        svc.request_grant(actor=actor, participant=sme, kind="base")
    assert exc.value.code == "already_requested"
    svc.refuse_grant(actor=cw.officer_actor, grant=first, reason="duplicate")
    svc.request_grant(actor=actor, participant=sme, kind="base")  # a refused one does not count


def test_materials_up_to_500_in_total_and_never_over_the_receipts(cw: CohortWorld) -> None:
    sme = cw.participants["sme"]
    actor = cw.actor(cw.users["sme"])
    _declare(cw, "sme")
    first = svc.request_grant(actor=actor, participant=sme, kind="materials", amount="300")
    with pytest.raises(ProgrammeError) as exc:
        svc.request_grant(actor=actor, participant=sme, kind="materials", amount="200.01")
    assert exc.value.code == "over_ceiling"
    assert "€200.00" in exc.value.messages[0]  # what is left is said
    _receipt(cw, first, "120")
    with pytest.raises(ProgrammeError) as exc:
        svc.approve_grant(actor=cw.officer_actor, grant=first)
    assert exc.value.code == "over_receipts"
    _receipt(cw, first, "180.00")
    svc.approve_grant(actor=cw.officer_actor, grant=first)
    with pytest.raises(ProgrammeError) as exc:
        _receipt(cw, first, "10")
    assert exc.value.code == "invalid_transition"  # decided grants take no more receipts


def test_an_executable_receipt_is_refused(cw: CohortWorld) -> None:
    sme = cw.participants["sme"]
    actor = cw.actor(cw.users["sme"])
    grant = svc.request_grant(actor=actor, participant=sme, kind="materials", amount="50")
    with pytest.raises(ProgrammeError) as exc:
        svc.add_receipt(
            actor=actor,
            grant=grant,
            upload=io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00" * 40),
            filename="receipt.pdf",
            amount="50",
            dated=timezone.localdate(),
        )
    assert exc.value.code == "invalid_file"
    assert grant.receipts.count() == 0


def test_receipts_only_on_materials_grants(cw: CohortWorld) -> None:
    grant = svc.request_grant(
        actor=cw.officer_actor, participant=cw.participants["sme"], kind="base"
    )
    with pytest.raises(ProgrammeError) as exc:
        _receipt(cw, grant, "10")
    assert exc.value.code == "not_materials"


# ---------------------------------------------------------------- de minimis in the grants


def test_a_grant_over_the_de_minimis_ceiling_is_refused_with_the_figures(cw: CohortWorld) -> None:
    today = timezone.localdate()
    _declare(
        cw,
        "sme",
        [{"granted_on": today - timedelta(days=400), "grantor": "Region", "amount": "299500"}],
    )
    with pytest.raises(ProgrammeError) as exc:
        svc.request_grant(actor=cw.officer_actor, participant=cw.participants["sme"], kind="base")
    assert exc.value.code == "de_minimis_exceeded"
    message = exc.value.messages[0]
    assert "€300,500.00" in message and "€300,000.00" in message and "€500.00" in message
    assert Grant.objects.unscoped("test").count() == 0
    # €500 is exactly the room left: at the ceiling is allowed, over is not.
    svc.request_grant(
        actor=cw.officer_actor, participant=cw.participants["sme"], kind="materials", amount=500
    )


def test_the_rolling_window_edge(cw: CohortWorld) -> None:
    """An aid exactly three years old has left the window; one day younger it counts."""
    today = timezone.localdate()
    _declare(
        cw,
        "sme",
        [{"granted_on": svc.three_years_before(today), "grantor": "R", "amount": "299500"}],
    )
    grant = svc.request_grant(
        actor=cw.officer_actor, participant=cw.participants["sme"], kind="base"
    )
    svc.refuse_grant(actor=cw.officer_actor, grant=grant)
    day_after = svc.three_years_before(today) + timedelta(days=1)
    _declare(cw, "sme", [{"granted_on": day_after, "grantor": "R", "amount": "299500"}])
    with pytest.raises(ProgrammeError) as exc:
        svc.request_grant(actor=cw.officer_actor, participant=cw.participants["sme"], kind="base")
    assert exc.value.code == "de_minimis_exceeded"


def test_de_minimis_counts_the_same_enterprise_across_cohorts(cw: CohortWorld) -> None:
    """The enterprise took part in an earlier cohort: its grants there count here."""
    from reproduce.programme.tests.fixtures_cohorts import make_call

    earlier = make_call("earlier", starts_on=timezone.localdate() - timedelta(days=200))
    earlier.host_fablabs.add(cw.lab1)
    colleague = make_user("colleague@brucycle.test")
    app = make_application(
        earlier, colleague, "C0-001", enterprise_number="0403170701", enterprise_name="BruCycle"
    )
    before = svc.admit(actor=cw.officer_actor, application=app, host_fablab=cw.lab1)
    assert before.enterprise_key == cw.participants["sme"].enterprise_key
    svc.declare_de_minimis(
        actor=cw.actor(colleague),
        participant=before,
        aids=[{"granted_on": date(2024, 6, 1), "grantor": "Region", "amount": "298000"}],
        statement="x",
    )
    svc.request_grant(actor=cw.officer_actor, participant=before, kind="base")
    # 298,000 + 1,000 (earlier cohort) + 1,000 here = 300,000: allowed; one cent more is not.
    _declare(
        cw, "sme", [{"granted_on": date(2024, 6, 1), "grantor": "region ", "amount": "298000"}]
    )
    figures = svc.de_minimis_figures(cw.participants["sme"], Decimal(1000))
    assert figures.total == Decimal("300000.00")  # the same aid declared twice counts once
    assert figures.near and not figures.exceeded
    svc.request_grant(actor=cw.officer_actor, participant=cw.participants["sme"], kind="base")
    with pytest.raises(ProgrammeError) as exc:
        svc.request_grant(
            actor=cw.officer_actor,
            participant=cw.participants["sme"],
            kind="materials",
            amount="0.01",
        )
    assert exc.value.code == "de_minimis_exceeded"


def test_grant_totals(cw: CohortWorld) -> None:
    sme = cw.participants["sme"]
    _declare(cw, "sme")
    base = svc.request_grant(actor=cw.officer_actor, participant=sme, kind=GrantKind.BASE)
    svc.approve_grant(actor=cw.officer_actor, grant=base)
    svc.request_grant(actor=cw.officer_actor, participant=sme, kind="materials", amount="40")
    totals = svc.grant_totals(Grant.objects.unscoped("test").all())
    assert totals["approved"] == 1000 and totals["requested"] == 40
    assert totals["committed"] == 1000
