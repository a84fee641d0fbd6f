"""Cohort pages: officer (cohort, admitting, sessions, attendance, participant, grants, CSV) and
participant (my cohort, convention, de minimis, grants, receipts); permissions; query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reproduce.core.models import AuditEvent
from reproduce.files.tests.samples import pdf_bytes
from reproduce.programme.models import (
    Attendance,
    DeMinimisDeclaration,
    Grant,
    GrantState,
    Participant,
    Session,
)
from reproduce.programme.services import cohorts as svc
from reproduce.programme.tests.fixtures_cohorts import (
    CohortWorld,
    cw_fixture,  # noqa: F401 - the ``cw`` fixture
    make_user,
)

pytestmark = pytest.mark.django_db


def _sign(cw: CohortWorld, key: str = "sme") -> None:
    svc.declare_de_minimis(
        actor=cw.actor(cw.users[key]), participant=cw.participants[key], aids=[], statement="x"
    )


def _base_grant(cw: CohortWorld, key: str = "sme") -> Grant:
    return svc.request_grant(
        actor=cw.actor(cw.users[key]), participant=cw.participants[key], kind="base"
    )


# ---------------------------------------------------------------- officer


def test_officer_pages_answer(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.officer)
    session = Session.objects.unscoped("test").get(cohort=cw.cohort, number=1)
    p = cw.participants["sme"]
    for url in [
        reverse("programme:cohort_list"),
        reverse("programme:cohort_detail", args=[cw.cohort.pk]),
        reverse("programme:grant_list", args=[cw.cohort.pk]),
        reverse("programme:session_edit", args=[session.pk]),
        reverse("programme:session_attendance", args=[session.pk]),
        reverse("programme:participant_detail", args=[p.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(reverse("programme:cohort_detail", args=[cw.cohort.pk])).content.decode()
    assert "Atelier BruCycle" in detail and "C1-002" in detail  # the artisan is still to admit


def test_others_get_403_and_participants_cannot_see_the_officer_pages(
    cw: CohortWorld, client_for: Any
) -> None:
    url = reverse("programme:cohort_detail", args=[cw.cohort.pk])
    assert client_for(cw.reviewer).get(url).status_code == 403
    assert client_for(cw.users["sme"]).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302


def test_officer_admits_from_the_cohort_page(cw: CohortWorld, client_for: Any) -> None:
    app = cw.apps["artisan"]
    response = client_for(cw.officer).post(
        reverse("programme:cohort_admit", args=[app.pk]), {f"a{app.pk}-host_fablab": cw.lab2.pk}
    )
    assert response.status_code == 302
    participant = Participant.objects.unscoped("test").get(application=app)
    assert participant.host_fablab == cw.lab2
    # Admitting reads the application: the access is in the audit log.
    assert AuditEvent.objects.filter(action="application.admit", object_id=str(app.pk)).exists()


def test_attendance_sheet_page(cw: CohortWorld, client_for: Any) -> None:
    session = Session.objects.unscoped("test").get(cohort=cw.cohort, number=2)
    sme, future = cw.participants["sme"], cw.participants["future"]
    response = client_for(cw.officer).post(
        reverse("programme:session_attendance", args=[session.pk]),
        {f"p{sme.pk}": "present", f"p{future.pk}": "excused"},
    )
    assert response.status_code == 302
    rows = dict(
        Attendance.objects.unscoped("test")
        .filter(session=session)
        .values_list("participant_id", "status")
    )
    assert rows == {sme.pk: "present", future.pk: "excused"}


def test_session_edit_keeps_what_was_typed_on_refusal(cw: CohortWorld, client_for: Any) -> None:
    session = Session.objects.unscoped("test").get(cohort=cw.cohort, number=4)
    url = reverse("programme:session_edit", args=[session.pk])
    response = client_for(cw.officer).post(url, {"title": "", "starts_at": "2025-10-20T10:00"})
    assert response.status_code == 200
    assert 'value="2025-10-20T10:00"' in response.content.decode()


def test_grants_page_approve_pay_and_export(cw: CohortWorld, client_for: Any) -> None:
    _sign(cw)
    grant = _base_grant(cw)
    client = client_for(cw.officer)
    client.post(reverse("programme:grant_decide", args=[grant.pk]), {"decision": "approve"})
    client.post(
        reverse("programme:grant_pay", args=[grant.pk]),
        {"reference": "VIR-001", "paid_on": timezone.localdate().isoformat()},
    )
    grant.refresh_from_db()
    assert grant.state == GrantState.PAID
    page = client.get(reverse("programme:grant_list", args=[cw.cohort.pk])).content.decode()
    assert "VIR-001" in page
    export = client.get(reverse("programme:grant_export", args=[cw.cohort.pk]))
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[1][2] == "0403.170.701" and rows[1][4] == "1000.00" and rows[1][9] == "VIR-001"
    assert AuditEvent.objects.filter(action="application.export").count() == 1


def test_grant_refusal_shown_to_the_officer(cw: CohortWorld, client_for: Any) -> None:
    grant = _base_grant(cw)  # de minimis not signed yet
    response = client_for(cw.officer).post(
        reverse("programme:grant_decide", args=[grant.pk]), {"decision": "approve"}, follow=True
    )
    assert "de minimis" in response.content.decode()
    grant.refresh_from_db()
    assert grant.state == GrantState.REQUESTED


def test_near_the_ceiling_the_officer_is_warned(cw: CohortWorld, client_for: Any) -> None:
    svc.declare_de_minimis(
        actor=cw.actor(cw.users["sme"]),
        participant=cw.participants["sme"],
        aids=[
            {
                "granted_on": timezone.localdate() - timedelta(days=30),
                "grantor": "Region",
                "amount": "280000",
            }
        ],
        statement="x",
    )
    _base_grant(cw)
    page = client_for(cw.officer).get(reverse("programme:grant_list", args=[cw.cohort.pk]))
    assert 'class="warning-near"' in page.content.decode()


def test_the_grants_page_query_count_does_not_grow(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.officer)
    url = reverse("programme:grant_list", args=[cw.cohort.pk])
    _base_grant(cw)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _base_grant(cw, "future")
    svc.request_grant(
        actor=cw.officer_actor, participant=cw.participants["future"], kind="materials", amount=9
    )
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    # The de minimis warning is computed per requested grant (2 queries each); nothing else grows.
    assert len(three) <= len(one) + 2 * 2


def test_cohort_page_query_count_does_not_grow(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.officer)
    url = reverse("programme:cohort_detail", args=[cw.cohort.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    svc.admit(actor=cw.officer_actor, application=cw.apps["artisan"], host_fablab=cw.lab1)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) <= len(before)


# ---------------------------------------------------------------- participant


def test_my_cohort_and_signing(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.users["sme"])
    p = cw.participants["sme"]
    response = client.get(reverse("programme:my_cohorts"))
    assert response.status_code == 302 and response["Location"].endswith(f"/my/cohorts/{p.pk}/")
    page = client.get(reverse("programme:my_cohort", args=[p.pk])).content.decode()
    assert "GreenFabric" in page and "Bootcamp" in page
    # The convention: the checkbox is required.
    url = reverse("programme:my_convention", args=[p.pk])
    assert "Group convention" in client.get(url).content.decode()
    assert client.post(url, {}).status_code == 200
    assert client.post(url, {"agree": "on"}).status_code == 302
    p.refresh_from_db()
    assert p.convention_signed_at is not None


def test_de_minimis_page_with_a_future_date_loses_nothing(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.users["sme"])
    p = cw.participants["sme"]
    url = reverse("programme:my_de_minimis", args=[p.pk])
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    data = {
        "aid-TOTAL_FORMS": "3",
        "aid-INITIAL_FORMS": "0",
        "aid-0-granted_on": "2024-03-01",
        "aid-0-grantor": "hub.brussels",
        "aid-0-amount": "5000",
        "aid-1-granted_on": future,
        "aid-1-grantor": "Innoviris",
        "aid-1-amount": "700",
        "agree": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "dated in the future" in body
    assert 'value="Innoviris"' in body and 'value="hub.brussels"' in body  # nothing lost
    assert not DeMinimisDeclaration.objects.unscoped("test").exists()
    data["aid-1-granted_on"] = "2024-06-01"
    assert client.post(url, data).status_code == 302
    declaration = DeMinimisDeclaration.objects.unscoped("test").get(participant=p)
    assert declaration.aids.count() == 2
    assert "Regulation (EU) 2023/2831" in declaration.statement


def test_participant_asks_for_materials_with_a_receipt(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.users["sme"])
    p = cw.participants["sme"]
    url = reverse("programme:my_grant_request", args=[p.pk])
    upload = io.BytesIO(pdf_bytes())
    upload.name = "invoice.pdf"
    response = client.post(
        url,
        {
            "kind": "materials",
            "amount": "600",
            "file": upload,
            "receipt_amount": "600",
            "dated": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "€500.00" in response.content.decode()  # over the ceiling, said next to the amount
    assert not Grant.objects.unscoped("test").exists()
    upload.seek(0)
    response = client.post(
        url,
        {
            "kind": "materials",
            "amount": "120",
            "file": upload,
            "receipt_amount": "120",
            "dated": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    grant = Grant.objects.unscoped("test").get()
    assert grant.amount == Decimal("120.00") and grant.receipts.count() == 1
    receipt = grant.receipts.get()
    download = client.get(reverse("programme:receipt_download", args=[receipt.pk]))
    assert download.status_code == 200
    # Another participant cannot open it; an officer can (and it is audited).
    other = client_for(cw.users["future"])
    assert other.get(reverse("programme:receipt_download", args=[receipt.pk])).status_code == 404
    assert (
        client_for(cw.officer)
        .get(reverse("programme:receipt_download", args=[receipt.pk]))
        .status_code
        == 200
    )
    assert AuditEvent.objects.filter(action="application.document").exists()


def test_an_executable_receipt_is_refused_on_the_page(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.users["sme"])
    grant = svc.request_grant(
        actor=cw.actor(cw.users["sme"]),
        participant=cw.participants["sme"],
        kind="materials",
        amount="50",
    )
    upload = io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00" * 40)
    upload.name = "receipt.pdf"
    response = client.post(
        reverse("programme:grant_receipt_add", args=[grant.pk]),
        {"file": upload, "receipt_amount": "50", "dated": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "The receipt was not accepted" in response.content.decode()
    assert grant.receipts.count() == 0


def test_another_participants_pages_and_grants_answer_404(cw: CohortWorld, client_for: Any) -> None:
    grant = _base_grant(cw)
    intruder = client_for(cw.users["future"])
    p = cw.participants["sme"]
    for name in ("my_cohort", "my_convention", "my_de_minimis", "my_grant_request"):
        assert intruder.get(reverse(f"programme:{name}", args=[p.pk])).status_code == 404, name
    assert intruder.get(reverse("programme:grant_receipt_add", args=[grant.pk])).status_code == 404
    stranger = client_for(cw.stranger)
    assert stranger.get(reverse("programme:my_cohort", args=[p.pk])).status_code == 404
    # Officers read the participant's record on the officer pages, not sign for them.
    assert (
        client_for(cw.officer).get(reverse("programme:my_convention", args=[p.pk])).status_code
        == 404
    )


def test_a_stranger_has_no_cohort(cw: CohortWorld, client_for: Any) -> None:
    page = client_for(make_user("nobody@maker.test")).get(reverse("programme:my_cohorts"))
    assert page.status_code == 200 and "do not take part" in page.content.decode()
