"""Review services: assigning reviewers, conflicts of interest, scores on the weighted grid and
the statistics the officer ranks with (exact numbers)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from reproduce.programme.models import Application, ApplicationState, Score
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services.review import (
    assign_reviewer,
    declare_conflict,
    save_scores,
    score_statistics,
)
from reproduce.programme.tests import fixtures_review
from reproduce.programme.tests.fixtures_review import (
    ReviewWorld,
    grid,
    score_all,
)

rw = fixtures_review.rw  # the fixture

D = Decimal


def test_only_reviewers_can_be_assigned_once_and_not_in_conflict(rw: ReviewWorld) -> None:
    officer = rw.actor(rw.officer)
    app = rw.applications[0]
    with pytest.raises(ProgrammeError) as exc:
        assign_reviewer(actor=officer, application=app, reviewer=rw.outsider)
    assert exc.value.code == "not_a_reviewer"
    rw.assign(app, rw.reviewers[0])
    with pytest.raises(ProgrammeError) as exc:
        assign_reviewer(actor=officer, application=app, reviewer=rw.reviewers[0])
    assert exc.value.code == "already_assigned"
    rw.assign(app, rw.reviewers[1])
    declare_conflict(actor=rw.actor(rw.reviewers[1]), application=app, reason="My cousin")
    assignment = app.assignments.get(reviewer=rw.reviewers[1])
    assignment.delete()  # even unassigned, a conflicted reviewer cannot be assigned again
    with pytest.raises(ProgrammeError) as exc:
        assign_reviewer(actor=officer, application=app, reviewer=rw.reviewers[1])
    assert exc.value.code == "reviewer_in_conflict"
    with pytest.raises(PermissionDenied):
        assign_reviewer(actor=rw.actor(rw.reviewers[0]), application=app, reviewer=rw.reviewers[2])


def test_a_draft_is_not_reviewable(rw: ReviewWorld) -> None:
    Application.objects.unscoped("test").filter(pk=rw.applications[0].pk).update(
        state=ApplicationState.DRAFT
    )
    app = Application.objects.unscoped("test").get(pk=rw.applications[0].pk)
    with pytest.raises(ProgrammeError) as exc:
        rw.assign(app, rw.reviewers[0])
    assert exc.value.code == "not_reviewable"


@pytest.mark.parametrize(
    ("key", "value"),
    [("fit", "41"), ("fit", "-1"), ("fablabs", "2.25"), ("method", "abc"), ("nope", "3")],
)
def test_a_score_outside_the_grid_is_refused_and_the_draft_kept(
    rw: ReviewWorld, key: str, value: str
) -> None:
    (assignment,) = rw.assign(rw.applications[0], rw.reviewers[0])
    score_all(rw, assignment, grid("30", "20.5", None, None), submit=False)
    with pytest.raises(ProgrammeError) as exc:
        score_all(rw, assignment, {**grid("12", "12", "5", "10"), key: value})
    assert exc.value.code == "score_out_of_grid"
    assert exc.value.field == key
    kept = dict(
        Score.objects.unscoped("test")
        .filter(assignment=assignment)
        .values_list("criterion", "points")
    )
    assert kept == {"fit": D("30"), "fablabs": D("20.5")}
    assignment.refresh_from_db()
    assert assignment.submitted_at is None


def test_sending_needs_every_criterion_and_then_locks(rw: ReviewWorld) -> None:
    (assignment,) = rw.assign(rw.applications[0], rw.reviewers[0])
    with pytest.raises(ProgrammeError) as exc:
        score_all(rw, assignment, grid("30", "20", "5", ""))
    assert exc.value.code == "scores_incomplete"
    score_all(rw, assignment, grid("30", "20", "5", "0"))
    with pytest.raises(ProgrammeError) as exc:
        score_all(rw, assignment, grid("31", "20", "5", "0"))
    assert exc.value.code == "scores_sent"


def test_a_reviewer_scores_only_their_own_assignment(rw: ReviewWorld) -> None:
    (assignment,) = rw.assign(rw.applications[0], rw.reviewers[0])
    with pytest.raises(ProgrammeError) as exc:
        save_scores(
            actor=rw.actor(rw.reviewers[1]),
            assignment=assignment,
            points=grid(1, 1, 1, 1),
            comments={},
        )
    assert exc.value.code == "not_assigned"


def test_a_conflict_needs_a_reason_and_stops_scoring(rw: ReviewWorld) -> None:
    app = rw.applications[0]
    (assignment,) = rw.assign(app, rw.reviewers[0])
    me = rw.actor(rw.reviewers[0])
    with pytest.raises(ProgrammeError) as exc:
        declare_conflict(actor=me, application=app, reason="  ")
    assert exc.value.code == "reason_required"
    declare_conflict(actor=me, application=app, reason="She is my business partner")
    with pytest.raises(ProgrammeError) as exc:
        score_all(rw, assignment, grid(1, 1, 1, 1))
    assert exc.value.code == "conflict_declared"
    assert not Application.objects.visible_to(me).filter(pk=app.pk).exists()
    assert Application.objects.visible_to(rw.actor(rw.officer)).filter(pk=app.pk).exists()


def _scored_world(rw: ReviewWorld) -> None:
    a0, a1, a2 = rw.applications
    r1, r2, r3 = rw.reviewers
    x, y = rw.assign(a0, r1, r2)
    score_all(rw, x, grid("35.5", "25", "8", "15"))  # 83.5
    score_all(rw, y, grid("30", "20", "5", "10"))  # 65
    x, y, draft = rw.assign(a1, r1, r2, r3)
    score_all(rw, x, grid("40", "30", "10", "20"))  # 100
    score_all(rw, y, grid("20", "15", "5", "10"))  # 50
    score_all(rw, draft, grid("0", "0", "0", "0"), submit=False)  # a draft does not count
    (z,) = rw.assign(a2, r3)
    score_all(rw, z, grid("35", "25", "5", "10"))  # 75


def test_statistics_are_exact_and_ranked(rw: ReviewWorld) -> None:
    _scored_world(rw)
    rows = score_statistics(rw.call)
    by_ref = {r.application.reference: r for r in rows}
    a0, a1, a2 = (by_ref[a.reference] for a in rw.applications)
    assert a0.criterion_means == {
        "fit": D("32.75"),
        "fablabs": D("22.50"),
        "originality": D("6.50"),
        "method": D("12.50"),
    }
    assert (a0.mean_total, a0.spread, a0.flagged, a0.reviews_done, a0.assigned) == (
        D("74.25"),
        D("18.5"),
        False,
        2,
        2,
    )
    assert (a1.mean_total, a1.spread, a1.flagged, a1.reviews_done, a1.assigned) == (
        D("75.00"),
        D("50"),
        True,
        2,
        3,
    )
    assert (a2.mean_total, a2.spread, a2.reviews_done) == (D("75.00"), D("0"), 1)
    # Equal means share the rank; the next one is third.
    assert [(r.application.reference, r.rank) for r in rows] == [
        (a1.application.reference, 1),
        (a2.application.reference, 1),
        (a0.application.reference, 3),
    ]


def test_a_conflict_takes_the_reviewers_scores_out_of_the_statistics(rw: ReviewWorld) -> None:
    _scored_world(rw)
    a0 = rw.applications[0]
    declare_conflict(actor=rw.actor(rw.reviewers[1]), application=a0, reason="Former colleague")
    row = next(r for r in score_statistics(rw.call) if r.application.pk == a0.pk)
    assert (row.mean_total, row.spread, row.reviews_done, row.conflicts) == (
        D("83.50"),
        D("0"),
        1,
        1,
    )


def test_statistics_take_a_fixed_number_of_queries(
    rw: ReviewWorld, django_assert_num_queries: object
) -> None:
    _scored_world(rw)
    with django_assert_num_queries(4):  # type: ignore[operator]
        score_statistics(rw.call)
