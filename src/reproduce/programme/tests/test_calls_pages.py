"""The officer's call pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reproduce.programme.models import Call, CallState
from reproduce.programme.services.calls import DEFAULT_CRITERIA
from reproduce.programme.tests.fixtures_calls import (
    call_values,
    calls_fixture,  # noqa: F401 - the ``calls`` fixture
)

pytestmark = pytest.mark.django_db


def _url(name, *args):
    with translation.override("en"):
        return reverse(f"programme:{name}", args=args)


def _post_data(world, **overrides):
    values = call_values(**overrides)
    data = dict(values)
    data["deadline"] = timezone.localtime(values["deadline"]).strftime("%Y-%m-%dT%H:%M")
    for name in (
        "opens_on",
        "interviews_from",
        "interviews_to",
        "announcement_on",
        "starts_on",
        "ends_on",
    ):
        data[name] = values[name].isoformat()
    data["host_fablabs"] = [f.pk for f in world.fablabs[:3]]
    data.update({"criteria-TOTAL_FORMS": 4, "criteria-INITIAL_FORMS": 4})
    for i, row in enumerate(DEFAULT_CRITERIA):
        for key, value in row.items():
            data[f"criteria-{i}-{key}"] = value
    data.update({"questions-TOTAL_FORMS": 0, "questions-INITIAL_FORMS": 0})
    data.update({"documents-TOTAL_FORMS": 4, "documents-INITIAL_FORMS": 4})
    for i, kind in enumerate(["cv", "motivation", "portfolio", "other"]):
        data[f"documents-{i}-kind"] = kind
        data[f"documents-{i}-asked"] = "on"
        if kind in ("cv", "motivation"):
            data[f"documents-{i}-required"] = "on"
    return data


def test_officers_write_save_with_a_warning_and_cannot_publish_forbidden_words(calls, client_for):
    client = client_for(calls.officer)
    assert client.get(_url("call_list")).status_code == 200
    assert client.get(_url("call_new")).status_code == 200
    data = _post_data(calls, title_en="Second call", description_fr="Une formation en atelier.")
    response = client.post(_url("call_new"), data)
    assert response.status_code == 302
    call = Call.objects.unscoped("test").get(title_en="Second call")
    page = client.get(response.url).content.decode()
    assert "FEDER wording rule" in page and "formation" in page
    client.post(_url("call_publish", call.slug))
    call.refresh_from_db()
    assert call.state == CallState.DRAFT
    data["description_fr"] = "Un accompagnement en atelier."
    assert client.post(_url("call_edit", call.slug), data).status_code == 302
    client.post(_url("call_publish", call.slug))
    call.refresh_from_db()
    assert call.state == CallState.PUBLISHED
    client.post(_url("call_close", call.slug))
    call.refresh_from_db()
    assert call.state == CallState.CLOSED


def test_a_grid_that_does_not_total_100_is_refused_on_the_page(calls, client_for):
    client = client_for(calls.officer)
    data = _post_data(calls, title_en="Third call")
    data["criteria-0-points"] = 45
    page = client.post(_url("call_new"), data)
    assert page.status_code == 200
    assert "must total 100" in page.content.decode()
    assert not Call.objects.unscoped("test").filter(title_en="Third call").exists()


def test_applicants_and_reviewers_cannot_open_the_officer_pages(calls, client_for):
    from reproduce.accounts.models import NetworkRole

    NetworkRole.objects.create(user=calls.other, role="reviewer")
    for user in (calls.applicant, calls.other):
        client = client_for(user)
        assert client.get(_url("call_list")).status_code == 403
        assert client.get(_url("call_new")).status_code == 403
        assert client.post(_url("call_close", calls.call.slug)).status_code == 403
