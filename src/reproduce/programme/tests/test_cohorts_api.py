"""API of cohorts, grants and events: officers only for cohorts and grants; events public."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reproduce.programme.services import cohorts as svc
from reproduce.programme.services import events as event_svc
from reproduce.programme.tests.fixtures_cohorts import (
    CohortWorld,
    cw_fixture,  # noqa: F401 - the ``cw`` fixture
    make_event,
)

pytestmark = pytest.mark.django_db


def _sign(cw: CohortWorld, key: str = "sme", aids: list[dict[str, Any]] | None = None) -> None:
    svc.declare_de_minimis(
        actor=cw.actor(cw.users[key]),
        participant=cw.participants[key],
        aids=aids or [],
        statement="x",
    )


def test_cohorts_list_and_detail(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.officer)
    listing = client.get("/api/v1/cohorts").json()
    assert listing["count"] == 1 and listing["items"][0]["participants"] == 2
    detail = client.get(f"/api/v1/cohorts/{cw.cohort.pk}").json()
    assert len(detail["sessions"]) == 32 and detail["sessions"][0]["phase"] == "bootcamp"
    keys = {p["enterprise_key"] for p in detail["participant_list"]}
    assert keys == {"0403.170.701", "person:C1-003"}


def test_cohorts_are_for_officers(cw: CohortWorld, client_for: Any) -> None:
    assert client_for(None).get("/api/v1/cohorts").status_code == 401
    assert client_for(cw.users["sme"]).get("/api/v1/cohorts").status_code == 403
    assert client_for(cw.reviewer).get(f"/api/v1/cohorts/{cw.cohort.pk}").status_code == 403
    assert client_for(cw.officer).get("/api/v1/cohorts/999999").status_code == 404


def test_grants_approve_pay(cw: CohortWorld, client_for: Any) -> None:
    _sign(cw)
    grant = svc.request_grant(
        actor=cw.officer_actor, participant=cw.participants["sme"], kind="base"
    )
    client = client_for(cw.officer)
    listing = client.get(f"/api/v1/cohorts/{cw.cohort.pk}/grants").json()
    assert listing["items"][0]["state"] == "requested"
    assert listing["totals"]["requested"] == "1000.00"
    paid_early = client.post(
        f"/api/v1/grants/{grant.pk}/pay", {"reference": "X"}, content_type="application/json"
    )
    assert paid_early.status_code == 409 and paid_early.json()["code"] == "invalid_transition"
    approved = client.post(f"/api/v1/grants/{grant.pk}/approve")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    again = client.post(f"/api/v1/grants/{grant.pk}/approve")
    assert again.status_code == 409
    paid = client.post(
        f"/api/v1/grants/{grant.pk}/pay", {"reference": "VIR-9"}, content_type="application/json"
    )
    assert paid.json()["state"] == "paid" and paid.json()["payment_reference"] == "VIR-9"


def test_approve_over_de_minimis_gives_the_figures(cw: CohortWorld, client_for: Any) -> None:
    grant = svc.request_grant(
        actor=cw.officer_actor, participant=cw.participants["sme"], kind="base"
    )
    _sign(
        cw,
        aids=[
            {
                "granted_on": timezone.localdate() - timedelta(days=10),
                "grantor": "Region",
                "amount": "299999",
            }
        ],
    )
    response = client_for(cw.officer).post(f"/api/v1/grants/{grant.pk}/approve")
    body = response.json()
    assert body["code"] == "de_minimis_exceeded"
    assert body["details"]["total"] == "300999.00" and body["details"]["ceiling"] == "300000.00"


def test_another_participants_grant_is_404_and_participants_cannot_approve(
    cw: CohortWorld, client_for: Any
) -> None:
    grant = svc.request_grant(
        actor=cw.officer_actor, participant=cw.participants["sme"], kind="base"
    )
    url = f"/api/v1/grants/{grant.pk}/approve"
    # The network role is checked first: 403 for a participant, whoever's grant it is.
    assert client_for(cw.users["future"]).post(url).status_code == 403
    assert client_for(cw.users["sme"]).post(url).status_code == 403
    assert client_for(cw.officer).post("/api/v1/grants/999999/approve").status_code == 404


def test_grants_list_query_count(cw: CohortWorld, client_for: Any) -> None:
    client = client_for(cw.officer)
    url = f"/api/v1/cohorts/{cw.cohort.pk}/grants"
    svc.request_grant(actor=cw.officer_actor, participant=cw.participants["sme"], kind="base")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    svc.request_grant(actor=cw.officer_actor, participant=cw.participants["future"], kind="base")
    svc.request_grant(
        actor=cw.officer_actor, participant=cw.participants["sme"], kind="materials", amount=5
    )
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    assert len(three) == len(one)


def test_public_events(cw: CohortWorld, client_for: Any) -> None:
    event = make_event(cw, capacity=3)
    make_event(cw, publish=False)
    event_svc.register(event=event, name="A", email="a@example.org")
    body = client_for(None).get("/api/v1/events").json()
    assert body["count"] == 1
    assert body["items"][0]["slug"] == event.slug and body["items"][0]["places_left"] == 2
