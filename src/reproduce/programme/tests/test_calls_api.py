"""The calls API: public reads, officer writes."""

from __future__ import annotations

import json

import pytest

from reproduce.programme.models import Call, CallState
from reproduce.programme.tests.fixtures_calls import (
    calls_fixture,  # noqa: F401 - the ``calls`` fixture
)

pytestmark = pytest.mark.django_db


def _body(world, **overrides):
    body = {
        "title_fr": "Un appel",
        "title_nl": "Een oproep",
        "title_en": "A call",
        "description_fr": "Un accompagnement.",
        "description_nl": "Een begeleiding.",
        "description_en": "An accompaniment.",
        "opens_on": "2030-01-01",
        "deadline": "2030-02-01T12:00:00+01:00",
        "starts_on": "2030-03-01",
        "ends_on": "2030-10-01",
        "places": 5,
        "host_fablabs": [f.slug for f in world.fablabs[:3]],
    }
    body.update(overrides)
    return json.dumps(body)


def test_anonymous_clients_list_the_published_calls_only(calls, client_for):
    from reproduce.core.actor import actor_for_user
    from reproduce.programme.services.calls import create_call
    from reproduce.programme.tests.fixtures_calls import call_values

    create_call(
        actor=actor_for_user(calls.officer),
        values=call_values(title_en="Hidden draft"),
        host_fablabs=calls.fablabs,
    )
    answer = client_for(None).get("/api/v1/calls")
    assert answer.status_code == 200
    data = answer.json()
    assert data["count"] == 1
    (item,) = data["items"]
    assert item["slug"] == calls.call.slug
    assert item["state"] == "published" and item["is_open"] is True
    assert [c["points"] for c in item["criteria"]] == [40, 30, 10, 20]
    assert {f["name"] for f in item["host_fablabs"]} == {f.name for f in calls.fablabs}
    assert item["url"].endswith(f"/fr/programme/calls/{calls.call.slug}/")
    assert {d["kind"] for d in item["documents"]} == {"cv", "motivation", "portfolio", "other"}
    one = client_for(None).get(f"/api/v1/calls/{calls.call.slug}")
    assert one.status_code == 200 and one.json()["title_nl"].startswith("Een product")
    draft = Call.objects.unscoped("test").get(title_en="Hidden draft")
    assert client_for(None).get(f"/api/v1/calls/{draft.slug}").status_code == 404
    officer = client_for(calls.officer).get("/api/v1/calls").json()
    assert officer["count"] == 2


def test_officers_create_patch_publish_and_close(calls, client_for):
    client = client_for(calls.officer)
    created = client.post(
        "/api/v1/calls",
        _body(calls, description_en="Eight months of training."),
        content_type="application/json",
        headers={"Idempotency-Key": "create-1"},
    )
    assert created.status_code == 201, created.content
    slug = created.json()["slug"]
    again = client.post(
        "/api/v1/calls",
        _body(calls, description_en="Eight months of training."),
        content_type="application/json",
        headers={"Idempotency-Key": "create-1"},
    )
    assert again.json()["slug"] == slug
    assert Call.objects.unscoped("test").filter(title_en="A call").count() == 1
    refused = client.post(f"/api/v1/calls/{slug}/publish")
    assert refused.status_code == 422 and refused.json()["code"] == "forbidden_wording"
    patched = client.patch(
        f"/api/v1/calls/{slug}",
        json.dumps({"description_en": "Eight months of workshops."}),
        content_type="application/json",
    )
    assert patched.status_code == 200
    published = client.post(f"/api/v1/calls/{slug}/publish")
    assert published.status_code == 200 and published.json()["state"] == CallState.PUBLISHED
    assert client.post(f"/api/v1/calls/{slug}/publish").status_code == 409
    assert client.post(f"/api/v1/calls/{slug}/close").json()["state"] == CallState.CLOSED


def test_a_grid_not_totalling_100_is_refused(calls, client_for):
    grid = [{"key": "fit", "label_fr": "a", "label_nl": "b", "label_en": "c", "points": 90}]
    answer = client_for(calls.officer).post(
        "/api/v1/calls", _body(calls, criteria=grid), content_type="application/json"
    )
    assert answer.status_code == 422 and answer.json()["code"] == "criteria_total"


def test_only_officers_write(calls, client_for):
    assert (
        client_for(None)
        .post("/api/v1/calls", _body(calls), content_type="application/json")
        .status_code
        == 401
    )
    answer = client_for(calls.applicant).post(
        "/api/v1/calls", _body(calls), content_type="application/json"
    )
    assert answer.status_code == 403
    assert (
        client_for(calls.applicant).post(f"/api/v1/calls/{calls.call.slug}/close").status_code
        == 403
    )


def test_the_operations_are_documented_in_openapi(client_for):
    paths = client_for(None).get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/calls"]) == {"get", "post"}
    assert set(paths["/api/v1/calls/{slug}"]) == {"get", "patch"}
    assert "post" in paths["/api/v1/calls/{slug}/publish"]
    assert "post" in paths["/api/v1/calls/{slug}/close"]
    assert "no authentication" in paths["/api/v1/calls"]["get"]["summary"]
