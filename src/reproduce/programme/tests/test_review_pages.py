"""Reviewers' pages: only what is assigned, the scoring form on the grid, conflicts of interest
(then 404 everywhere: page, documents, API), and every access written to the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from reproduce.core.models import AuditEvent
from reproduce.programme.models import ApplicationDocument, ReviewAssignment, Score
from reproduce.programme.tests import fixtures_review
from reproduce.programme.tests.fixtures_review import (
    ReviewWorld,
    grid,
    score_all,
)

rw = fixtures_review.rw  # the fixture


def _views(app: Any, action: str = "application.view") -> int:
    return AuditEvent.objects.filter(
        action=action, object_type="programme.application", object_id=str(app.pk)
    ).count()


def _doc(app: Any) -> ApplicationDocument:
    return ApplicationDocument.objects.unscoped("test").filter(application=app).first()


def test_a_reviewer_sees_only_the_applications_assigned(rw: ReviewWorld, client_for: Any) -> None:
    mine, other, conflicted = rw.applications
    rw.assign(mine, rw.reviewers[0])
    rw.assign(other, rw.reviewers[1])
    rw.assign(conflicted, rw.reviewers[0])
    client = client_for(rw.reviewers[0])
    client.post(
        reverse("programme:review_conflict", args=[conflicted.pk]), {"reason": "My neighbour"}
    )
    page = client.get(reverse("programme:review_home"))
    assert page.status_code == 200
    body = page.content.decode()
    assert mine.reference in body
    assert other.reference not in body and conflicted.reference not in body
    assert client.get(reverse("programme:review_application", args=[other.pk])).status_code == 404


def test_opening_an_application_and_its_documents_is_audited(
    rw: ReviewWorld, client_for: Any
) -> None:
    app = rw.applications[0]
    rw.assign(app, rw.reviewers[0])
    client = client_for(rw.reviewers[0])
    page = client.get(reverse("programme:review_application", args=[app.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert app.full_name in body and "GreenFabric" in body and "A bag from linen" in body
    assert _views(app) == 1
    doc = _doc(app)
    response = client.get(reverse("programme:application_document", args=[doc.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert _views(app, "application.download") == 1
    # The applicant downloading their own document is not an access to audit.
    own = client_for(rw.applicants[0]).get(reverse("programme:application_document", args=[doc.pk]))
    assert own.status_code == 200
    assert _views(app, "application.download") == 1
    # Someone else: not found, and nothing audited.
    stranger = client_for(rw.reviewers[1])
    assert stranger.get(reverse("programme:application_document", args=[doc.pk])).status_code == 404
    assert stranger.get(reverse("programme:review_application", args=[app.pk])).status_code == 404
    assert _views(app) == 1


def test_a_conflict_hides_the_application_page_documents_and_api(
    rw: ReviewWorld, client_for: Any
) -> None:
    app = rw.applications[0]
    (assignment,) = rw.assign(app, rw.reviewers[0])
    client = client_for(rw.reviewers[0])
    refused = client.post(reverse("programme:review_conflict", args=[app.pk]), {"reason": ""})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    done = client.post(reverse("programme:review_conflict", args=[app.pk]), {"reason": "My sister"})
    assert done.status_code == 302
    doc = _doc(app)
    before = _views(app)
    assert client.get(reverse("programme:review_application", args=[app.pk])).status_code == 404
    assert client.get(reverse("programme:application_document", args=[doc.pk])).status_code == 404
    assert client.get(f"/api/v1/assignments/{assignment.pk}/scores").status_code == 404
    put = client.put(
        f"/api/v1/assignments/{assignment.pk}/scores",
        data={"scores": [{"criterion": "fit", "points": "10"}]},
        content_type="application/json",
    )
    assert put.status_code == 404
    assert _views(app) == before
    # The officer sees the conflict on the application.
    officer_page = client_for(rw.officer).get(
        reverse("programme:selection_application", args=[app.pk])
    )
    assert "My sister" in officer_page.content.decode()


def test_scoring_on_the_grid_through_the_page(rw: ReviewWorld, client_for: Any) -> None:
    app = rw.applications[0]
    (assignment,) = rw.assign(app, rw.reviewers[0])
    client = client_for(rw.reviewers[0])
    url = reverse("programme:review_application", args=[app.pk])
    data = {
        "points_fit": "38.5",
        "points_fablabs": "31",  # over 30
        "points_originality": "7",
        "points_method": "15",
        "comment_fit": "Right on the theme",
        "comment": "Strong maker",
        "submit": "1",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    form = refused.context["form"]
    assert "points_fablabs" in form.errors
    assert form["points_fit"].value() == "38.5"  # what was typed is kept
    assert not Score.objects.unscoped("test").filter(assignment=assignment).exists()
    sent = client.post(url, {**data, "points_fablabs": "29.5"})
    assert sent.status_code == 302
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None and assignment.comment == "Strong maker"
    totals = Score.objects.unscoped("test").filter(assignment=assignment)
    assert sum(s.points for s in totals) == 90


def test_reviewers_never_see_other_reviewers_scores(rw: ReviewWorld, client_for: Any) -> None:
    app = rw.applications[0]
    _mine, theirs = rw.assign(app, rw.reviewers[0], rw.reviewers[1])
    score_all(rw, theirs, grid("17.5", "13.5", "3.5", "11.5"))
    theirs.comment = "SECRET-COMMENT-OF-R2"
    ReviewAssignment.objects.unscoped("test").filter(pk=theirs.pk).update(
        comment="SECRET-COMMENT-OF-R2"
    )
    body = (
        client_for(rw.reviewers[0])
        .get(reverse("programme:review_application", args=[app.pk]))
        .content.decode()
    )
    assert "SECRET-COMMENT-OF-R2" not in body and "17.5" not in body and "13.5" not in body


@pytest.mark.parametrize("who", ["officer", "outsider", "applicant"])
def test_reviewer_pages_need_the_reviewer_role(rw: ReviewWorld, client_for: Any, who: str) -> None:
    user = {"officer": rw.officer, "outsider": rw.outsider, "applicant": rw.applicants[0]}[who]
    app = rw.applications[0]
    client = client_for(user)
    assert client.get(reverse("programme:review_home")).status_code == 403
    assert client.get(reverse("programme:review_application", args=[app.pk])).status_code == 403
