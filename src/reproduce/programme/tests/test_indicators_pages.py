"""The officers' indicators page, its workbook download and GET /api/v1/indicators."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reproduce.core.models import AuditEvent
from reproduce.programme.tests.fixtures_indicators import (
    Programme,
    programme_fixture,  # noqa: F401 - the "programme" fixture
)

pytestmark = pytest.mark.django_db
PAGE = "/en/programme/indicators/"


def test_the_page_shows_figures_definitions_and_records(
    programme: Programme, client_for: Any
) -> None:
    assert reverse("programme:indicators") == PAGE
    response = client_for(programme.officer).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enterprises supported" in body and "Jobs created in supported entities" in body
    assert "counted once" in body  # the definition is explained
    assert "Lina Verhoeven" in body and "0403170701" in body
    assert "no: already counted" in body  # Atelier Lin's second cohort
    assert "workbook.xlsx" in body
    for word in ("formation", "training", "opleiding"):
        assert word not in body.lower()


def test_showing_the_records_is_audited_per_application(
    programme: Programme, client_for: Any
) -> None:
    client_for(programme.officer).get(PAGE)
    logged = AuditEvent.objects.filter(action="application.indicators")
    assert logged.count() == 5  # the five participations' applications


def test_the_page_filters_by_cohort(programme: Programme, client_for: Any) -> None:
    response = client_for(programme.officer).get(PAGE, {"cohort": programme.cohort2.pk})
    body = response.content.decode()
    assert "Cohort 2" in body and "C1-002" not in body


def test_a_period_ending_before_it_starts_is_refused_on_the_form(
    programme: Programme, client_for: Any
) -> None:
    response = client_for(programme.officer).get(
        PAGE, {"period_from": "2026-06-01", "period_to": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "The end of the period comes before its start." in response.content.decode()


def test_the_download_is_the_workbook_of_the_same_scope(
    programme: Programme, client_for: Any
) -> None:
    response = client_for(programme.officer).get(
        PAGE + "workbook.xlsx", {"cohort": programme.cohort1.pk}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(BytesIO(response.content))
    assert book["RCO01"]["B1"].value == 3
    assert AuditEvent.objects.filter(action="application.export_indicators").count() == 3


@pytest.mark.parametrize("who", ["reviewer", "applicant"])
def test_only_programme_officers_see_the_indicators(
    programme: Programme, client_for: Any, who: str
) -> None:
    client = client_for(getattr(programme, who))
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "workbook.xlsx").status_code == 403
    assert client.get("/api/v1/indicators").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(programme: Programme, client_for: Any) -> None:
    assert client_for(None).get(PAGE).status_code == 302
    assert client_for(None).get("/api/v1/indicators").status_code == 401


def test_the_api_gives_figures_definitions_and_records(
    programme: Programme, client_for: Any
) -> None:
    response = client_for(programme.officer).get("/api/v1/indicators", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    data = response.json()
    figures = {i["code"]: i for i in data["indicators"]}
    assert [figures[c]["value"] for c in ("RCO01", "RCO04", "RCO05")] == ["4", "2", "2"]
    assert figures["RCR01"]["value"] == "3.00"
    assert figures["RCR01"]["unit"] == "full-time equivalents"
    lin = next(r for r in figures["RCR01"]["records"] if r["application"] == "C1-001")
    assert lin["values"]["follow_up_on"] == "2026-11-30"
    assert lin["values"]["jobs_created"] == "2.00"
    assert data["scope"]["description"] == "all cohorts, whole programme"


def test_the_api_filters_and_refuses_bad_filters(programme: Programme, client_for: Any) -> None:
    client = client_for(programme.officer)
    one = client.get("/api/v1/indicators", {"cohort": programme.cohort1.pk, "to": "2026-06-30"})
    assert one.status_code == 200
    assert one.json()["scope"]["period_to"] == "2026-06-30"
    assert {i["code"]: i["value"] for i in one.json()["indicators"]}["RCO01"] == "3"
    bad = client.get("/api/v1/indicators", {"cohort": 987654})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cohort"
    period = client.get("/api/v1/indicators", {"from": "2026-06-01", "to": "2026-01-01"})
    assert period.status_code == 422 and period.json()["code"] == "invalid_period"
