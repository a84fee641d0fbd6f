"""API of the review and the selection: officers list, read (audited), assign, rank, decide;
reviewers read and write only their own scores."""

from __future__ import annotations

import json
from typing import Any

from reproduce.core.models import AuditEvent
from reproduce.programme.models import ReviewAssignment
from reproduce.programme.tests import fixtures_review
from reproduce.programme.tests.fixtures_review import (
    ReviewWorld,
    grid,
    score_all,
)

rw = fixtures_review.rw  # the fixture


def _post(client: Any, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def _put(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, data=json.dumps(body), content_type="application/json")


def test_officers_list_and_read_applications_audited(rw: ReviewWorld, client_for: Any) -> None:
    client = client_for(rw.officer)
    listed = client.get(f"/api/v1/calls/{rw.call.slug}/applications?limit=2")
    assert listed.status_code == 200
    assert listed.json()["count"] == 3 and len(listed.json()["items"]) == 2
    found = client.get(f"/api/v1/calls/{rw.call.slug}/applications?q=walker").json()
    assert [a["last_name"] for a in found["items"]] == ["Walker"]
    app = rw.applications[0]
    before = AuditEvent.objects.filter(action="application.view").count()
    detail = client.get(f"/api/v1/applications/{app.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["reference"] == app.reference
    assert [c["rank"] for c in body["choices"]] == [1, 2, 3]
    assert {d["kind"] for d in body["documents"]} == {"cv", "motivation"}
    assert AuditEvent.objects.filter(action="application.view").count() == before + 1
    for user in (rw.reviewers[0], rw.applicants[0]):
        assert client_for(user).get(f"/api/v1/applications/{app.pk}").status_code == 403
    assert client.get("/api/v1/applications/999999").status_code == 404


def test_assigning_reviewers_through_the_api(rw: ReviewWorld, client_for: Any) -> None:
    client = client_for(rw.officer)
    url = f"/api/v1/applications/{rw.applications[0].pk}/reviewers"
    made = _post(client, url, {"reviewer_id": rw.reviewers[0].pk})
    assert made.status_code == 201
    again = _post(client, url, {"reviewer_id": rw.reviewers[0].pk})
    assert (again.status_code, again.json()["code"]) == (409, "already_assigned")
    wrong = _post(client, url, {"reviewer_id": rw.outsider.pk})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "not_a_reviewer")


def test_reviewers_read_and_write_only_their_scores(rw: ReviewWorld, client_for: Any) -> None:
    mine, theirs = rw.assign(rw.applications[0], rw.reviewers[0], rw.reviewers[1])
    me = client_for(rw.reviewers[0])
    url = f"/api/v1/assignments/{mine.pk}/scores"
    assert me.get(url).json()["scores"][0] == {
        "criterion": "fit",
        "label": "Adéquation thématique",  # the API speaks French by default
        "max_points": "40",
        "points": None,
        "comment": "",
    }
    out = _put(me, url, {"scores": [{"criterion": "fit", "points": "40.5"}]})
    assert (out.status_code, out.json()["code"]) == (422, "score_out_of_grid")
    scores = [
        {"criterion": k, "points": v, "comment": "ok"}
        for k, v in grid("35", "25.5", "8", "15").items()
    ]
    sent = _put(me, url, {"scores": scores, "comment": "Solid", "submit": True})
    assert sent.status_code == 200
    assert sent.json()["total"] == "83.5" and sent.json()["submitted_at"]
    locked = _put(me, url, {"scores": scores})
    assert locked.json()["code"] == "scores_sent"
    assert locked.status_code in (409, 422)  # 409 once api/errors.py lists the code
    assert me.get(f"/api/v1/assignments/{theirs.pk}/scores").status_code == 404
    assert client_for(rw.officer).get(url).status_code == 403
    listed = me.get("/api/v1/assignments").json()
    assert [a["id"] for a in listed["items"]] == [mine.pk]


def test_a_conflict_through_the_api_hides_the_assignment(rw: ReviewWorld, client_for: Any) -> None:
    app = rw.applications[0]
    (mine,) = rw.assign(app, rw.reviewers[0])
    me = client_for(rw.reviewers[0])
    made = _post(me, f"/api/v1/applications/{app.pk}/conflict", {"reason": "My brother"})
    assert made.status_code == 201
    assert me.get(f"/api/v1/assignments/{mine.pk}/scores").status_code == 404
    assert me.get("/api/v1/assignments").json()["count"] == 0
    assert ReviewAssignment.objects.unscoped("test").filter(pk=mine.pk).exists()


def test_ranking_and_decision_through_the_api(rw: ReviewWorld, client_for: Any) -> None:
    a0 = rw.applications[0]
    x, y = rw.assign(a0, rw.reviewers[0], rw.reviewers[1])
    score_all(rw, x, grid("40", "30", "10", "20"))
    score_all(rw, y, grid("20", "10", "5", "5"))
    client = client_for(rw.officer)
    rows = client.get(f"/api/v1/calls/{rw.call.slug}/ranking").json()
    assert rows[0] == {
        "rank": 1,
        "application_id": a0.pk,
        "reference": a0.reference,
        "name": a0.full_name,
        "state": "submitted",
        "criterion_means": {
            "fit": "30.00",
            "fablabs": "20.00",
            "originality": "7.50",
            "method": "12.50",
        },
        "mean_total": "70.00",
        "spread": "60.00",
        "spread_flagged": True,
        "reviews_done": 2,
        "reviewers_assigned": 2,
        "conflicts": 0,
    }
    assert [r["rank"] for r in rows[1:]] == [None, None]
    url = f"/api/v1/applications/{a0.pk}/decision"
    bad = _post(client, url, {"decision": "accepted", "message": "Uw opleiding begint"})
    assert (bad.status_code, bad.json()["code"]) == (422, "forbidden_wording")
    good = _post(client, url, {"decision": "accepted", "message": "Welkom!"})
    assert good.status_code == 200 and good.json()["state"] == "accepted"
    reviewer = client_for(rw.reviewers[0])
    assert _post(reviewer, url, {"decision": "refused"}).status_code == 403
