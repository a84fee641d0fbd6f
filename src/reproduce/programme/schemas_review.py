"""API schemas of the review and the selection (``programme/api_review.py``).

Points and means are decimals written as strings in JSON. States are stable codes with a
label in the caller's language. Personal data appear only in the officer's application
shapes; a reviewer's scores are only ever returned to that reviewer.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from reproduce.programme.models import Application, ReviewAssignment
from reproduce.programme.services.review import ApplicationStats


class ApplicationRow(Schema):
    id: int
    reference: str
    call: str = Field(description="The call's slug.")
    state: str = Field(
        description="draft, submitted, withdrawn, interview, accepted, waitlisted, refused"
    )
    state_label: str
    first_name: str
    last_name: str
    enterprise_name: str
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_sent_at: datetime | None


class ChoiceOut(Schema):
    rank: int
    fablab_id: int
    fablab: str


class DocumentOut(Schema):
    id: int
    kind: str
    filename: str
    url: str = Field(description="Download address (access-checked and audited).")


class ReviewOut(Schema):
    assignment_id: int
    reviewer_id: int
    reviewer: str
    submitted_at: datetime | None
    in_conflict: bool
    total: Decimal | None


class ApplicationDetail(ApplicationRow):
    language: str
    email: str
    phone: str
    postcode: str
    is_future_entrepreneur: bool
    enterprise_number: str
    legal_form: str
    fte: Decimal | None
    contribution: str
    answers: dict[str, Any]
    choices: list[ChoiceOut]
    documents: list[DocumentOut]
    reviews: list[ReviewOut]


class AssignIn(Schema):
    reviewer_id: int = Field(description="A person holding the reviewer role.")


class AssignmentOut(Schema):
    id: int
    application_id: int
    reviewer_id: int
    assigned_at: datetime
    submitted_at: datetime | None


class CriterionScore(Schema):
    criterion: str = Field(description="The criterion's key in the call's grid.")
    label: str
    max_points: Decimal
    points: Decimal | None = None
    comment: str = ""


class ScoresOut(Schema):
    assignment_id: int
    application_id: int
    reference: str
    comment: str
    submitted_at: datetime | None
    total: Decimal
    scores: list[CriterionScore]


class ScoreIn(Schema):
    criterion: str
    points: Decimal | None = Field(None, description="0 to the criterion's points, by 0.5.")
    comment: str = ""


class ScoresIn(Schema):
    scores: list[ScoreIn]
    comment: str = ""
    submit: bool = Field(
        False,
        description="Send the scores: every criterion is then needed "
        "and they can no longer change.",
    )


class ConflictIn(Schema):
    reason: str = Field(max_length=300)


class RankingRow(Schema):
    rank: int | None
    application_id: int
    reference: str
    name: str
    state: str
    criterion_means: dict[str, Decimal | None]
    mean_total: Decimal | None
    spread: Decimal | None
    spread_flagged: bool
    reviews_done: int
    reviewers_assigned: int
    conflicts: int


class DecisionIn(Schema):
    decision: Literal["accepted", "waitlisted", "refused"]
    message: str = Field(
        "",
        max_length=3000,
        description="Personal message added to the "
        "e-mail (checked against the FEDER wording rule).",
    )


def application_row(a: Application) -> dict[str, Any]:
    return {
        "id": a.pk,
        "reference": a.reference,
        "call": a.call.slug,
        "state": a.state,
        "state_label": str(a.get_state_display()),
        "first_name": a.first_name,
        "last_name": a.last_name,
        "enterprise_name": a.enterprise_name,
        "submitted_at": a.submitted_at,
        "decided_at": a.decided_at,
        "decision_sent_at": a.decision_sent_at,
    }


def assignment_out(a: ReviewAssignment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "application_id": a.application_id,
        "reviewer_id": a.reviewer_id,
        "assigned_at": a.assigned_at,
        "submitted_at": a.submitted_at,
    }


def ranking_row(row: ApplicationStats) -> dict[str, Any]:
    app = row.application
    return {
        "rank": row.rank,
        "application_id": app.pk,
        "reference": app.reference,
        "name": app.full_name,
        "state": app.state,
        "criterion_means": row.criterion_means,
        "mean_total": row.mean_total,
        "spread": row.spread,
        "spread_flagged": row.flagged,
        "reviews_done": row.reviews_done,
        "reviewers_assigned": row.assigned,
        "conflicts": row.conflicts,
    }
