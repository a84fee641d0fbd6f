"""REST API of the review and the selection (tag ``programme``).

Officers (``programme.view`` to read, ``programme.manage`` to act) list a call's applications,
read one (audited), assign reviewers, read the ranking and record decisions. Reviewers
(``programme.review``) read and write their own scores and declare conflicts of interest; an
application they are not assigned to, or declared a conflict with, answers 404.

Refusals carry a stable code: 409 for the state of things (``already_assigned``,
``scores_sent``, ``review_closed``, ``decision_sent``, ``invalid_transition``), 422 for the
values sent (``score_out_of_grid``, ``scores_incomplete``, ``not_a_reviewer``,
``reviewer_in_conflict``, ``forbidden_wording``).
"""

from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router

from reproduce.accounts.models import User
from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ErrorOut
from reproduce.api.idempotency import idempotent
from reproduce.api.pagination import Page, PageParams, page_of
from reproduce.core.actor import Actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.programme.access import record_access
from reproduce.programme.models import (
    Application,
    ApplicationState,
    Call,
    Conflict,
    ReviewAssignment,
)
from reproduce.programme.schemas_review import (
    ApplicationDetail,
    ApplicationRow,
    AssignIn,
    AssignmentOut,
    ConflictIn,
    DecisionIn,
    RankingRow,
    ScoresIn,
    ScoresOut,
    application_row,
    assignment_out,
    ranking_row,
)
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services import decisions as decision_services
from reproduce.programme.services import review as services
from reproduce.programme.services.review import criteria, criterion_label, score_statistics

router = Router()  # tagged "programme" by programme/api.py

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _call(actor: Actor, slug: str, perm: str) -> Call:
    require(actor, perm)
    return get_visible_or_404(Call, actor, slug=slug)


def _application(actor: Actor, pk: int, perm: str) -> Application:
    require(actor, perm)
    application = get_visible_or_404(Application, actor, pk=pk)
    application.call  # noqa: B018 — loaded for the answer
    return application


# ---------------------------------------------------------------- officers


@router.get(
    "/calls/{slug}/applications",
    response={200: Page[ApplicationRow], 403: ErrorOut, 404: ErrorOut},
    summary="Applications to a call",
)
@access("network", perm="programme.view", object="slug", model="programme.Call")
def list_applications(
    request: HttpRequest, slug: str, page: Query[PageParams], state: str = "", q: str = ""
) -> dict[str, Any]:
    """Programme officers: the applications to a call, by reference. Drafts are left out
    unless ``state=draft`` is asked. ``q`` searches the reference, names and enterprise."""
    actor = require_authenticated(request)
    call = _call(actor, slug, "programme.view")
    rows = Application.objects.visible_to(actor).filter(call=call).select_related("call")
    rows = rows.filter(state=state) if state else rows.exclude(state=ApplicationState.DRAFT)
    for word in q.split()[:5]:
        rows = rows.filter(
            Q(reference__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(enterprise_name__icontains=word)
        )
    items, count = page_of(rows.order_by("reference"), page)
    return {"items": [application_row(a) for a in items], "count": count}


def _detail(actor: Actor, application: Application) -> dict[str, Any]:
    conflicted = set(
        Conflict.objects.visible_to(actor)
        .filter(application=application)
        .values_list("reviewer_id", flat=True)
    )
    reviews = []
    for a in (
        ReviewAssignment.objects.visible_to(actor)
        .filter(application=application)
        .select_related("reviewer")
        .prefetch_related("scores")
    ):
        scores = list(a.scores.all())
        reviews.append(
            {
                "assignment_id": a.pk,
                "reviewer_id": a.reviewer_id,
                "reviewer": a.reviewer.get_full_name() or a.reviewer.email,
                "submitted_at": a.submitted_at,
                "in_conflict": a.reviewer_id in conflicted,
                "total": sum((s.points for s in scores), Decimal(0)) if scores else None,
            }
        )
    return {
        **application_row(application),
        "language": application.language,
        "email": application.email,
        "phone": application.phone,
        "postcode": application.postcode,
        "is_future_entrepreneur": application.is_future_entrepreneur,
        "enterprise_number": application.enterprise_number,
        "legal_form": application.legal_form,
        "fte": application.fte,
        "contribution": application.contribution,
        "answers": application.answers or {},
        "choices": [
            {"rank": c.rank, "fablab_id": c.fablab_id, "fablab": c.fablab.name}
            for c in application.choices.select_related("fablab").order_by("rank")
        ],
        "documents": [
            {
                "id": d.pk,
                "kind": d.kind,
                "filename": d.filename,
                "url": reverse("programme:application_document", args=[d.pk]),
            }
            for d in application.documents.order_by("kind", "pk")
        ],
        "reviews": reviews,
    }


@router.get(
    "/applications/{pk}",
    response={200: ApplicationDetail, 403: ErrorOut, 404: ErrorOut},
    summary="One application (officers)",
)
@access("network", perm="programme.view", object="pk", model="programme.Application")
def get_application(request: HttpRequest, pk: int) -> dict[str, Any]:
    """Programme officers: everything about an application — the person, the enterprise,
    the answers, the ranked fablabs, the documents, and each reviewer's status and total.
    Every read is written to the audit log."""
    actor = require_authenticated(request)
    application = _application(actor, pk, "programme.view")
    body = _detail(actor, application)
    record_access(actor, application, "view")
    return body


@router.post(
    "/applications/{pk}/reviewers",
    response={201: AssignmentOut, **ERRORS},
    summary="Assign a reviewer",
)
@access("network", perm="programme.manage", object="pk", model="programme.Application")
@idempotent
def assign_reviewer(request: HttpRequest, pk: int, payload: AssignIn) -> tuple[int, Any]:
    """Programme officers: ask a reviewer to score a submitted application. Refusals: 422
    ``not_a_reviewer``, ``reviewer_in_conflict`` (they declared a conflict of interest),
    ``not_reviewable``; 409 ``already_assigned``."""
    actor = require_authenticated(request)
    application = _application(actor, pk, "programme.manage")
    reviewer = User.objects.filter(pk=payload.reviewer_id, is_active=True).first()
    if reviewer is None:
        raise ProgrammeError(
            _("This person is not a reviewer of the programme."), "not_a_reviewer", "reviewer_id"
        )
    assignment = services.assign_reviewer(actor=actor, application=application, reviewer=reviewer)
    return 201, assignment_out(assignment)


@router.get(
    "/calls/{slug}/ranking",
    response={200: list[RankingRow], 403: ErrorOut, 404: ErrorOut},
    summary="Score statistics and ranking of a call",
)
@access("network", perm="programme.view", object="slug", model="programme.Call")
def ranking(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """Programme officers: per application, the mean points per criterion, the mean total,
    the spread between reviewers (max − min of their totals, flagged above 20 points), the
    number of reviews sent; ranked by mean total (equal means share a rank; applications
    without a sent review last). Only sent scores of reviewers without a conflict count."""
    actor = require_authenticated(request)
    call = _call(actor, slug, "programme.view")
    return [ranking_row(r) for r in score_statistics(call)]


@router.post(
    "/applications/{pk}/decision",
    response={200: ApplicationRow, **ERRORS},
    summary="Record a decision",
)
@access("network", perm="programme.manage", object="pk", model="programme.Application")
def decide(request: HttpRequest, pk: int, payload: DecisionIn) -> dict[str, Any]:
    """Programme officers: selected (``accepted``), waiting list (``waitlisted``) or not
    selected (``refused``), with an optional personal message. Nothing is sent yet: the
    decisions of a call are sent together from the ranking page. Refusals: 422
    ``forbidden_wording`` (FEDER rule), 409 ``decision_sent``, ``invalid_transition``."""
    actor = require_authenticated(request)
    application = _application(actor, pk, "programme.manage")
    decision_services.decide(
        actor=actor, application=application, decision=payload.decision, message=payload.message
    )
    return application_row(application)


# ---------------------------------------------------------------- reviewers


def _my_assignment(actor: Actor, pk: int) -> ReviewAssignment:
    require(actor, "programme.review")
    assignment = (
        ReviewAssignment.objects.visible_to(actor)
        .filter(pk=pk, reviewer_id=actor.user_id)
        .filter(application__in=Application.objects.visible_to(actor).values("pk"))
        .select_related("application__call")
        .first()
    )
    if assignment is None or services.has_conflict(assignment.application, actor.user_id):
        raise Http404
    return assignment  # type: ignore[no-any-return]


def _scores_out(assignment: ReviewAssignment) -> dict[str, Any]:
    given = {s.criterion: s for s in assignment.scores.all()}
    rows = []
    for c in criteria(assignment.application.call):
        score = given.get(str(c["key"]))
        rows.append(
            {
                "criterion": str(c["key"]),
                "label": criterion_label(c),
                "max_points": Decimal(str(c["points"])),
                "points": score.points if score else None,
                "comment": score.comment if score else "",
            }
        )
    return {
        "assignment_id": assignment.pk,
        "application_id": assignment.application_id,
        "reference": assignment.application.reference,
        "comment": assignment.comment,
        "submitted_at": assignment.submitted_at,
        "total": sum((s.points for s in given.values()), Decimal(0)),
        "scores": rows,
    }


@router.get(
    "/assignments",
    response=Page[AssignmentOut],
    summary="My applications to review",
)
@access("network", perm="programme.review")
def my_assignments(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Reviewers: the applications assigned to you that you may score (submitted, no
    conflict of interest declared)."""
    actor = require_authenticated(request)
    require(actor, "programme.review")
    conflicts = Conflict.objects.visible_to(actor).values("application")
    rows = (
        ReviewAssignment.objects.visible_to(actor)
        .filter(reviewer_id=actor.user_id)
        .filter(application__in=Application.objects.visible_to(actor).values("pk"))
        .exclude(application__in=conflicts)
        .order_by("application__reference")
    )
    items, count = page_of(rows, page)
    return {"items": [assignment_out(a) for a in items], "count": count}


@router.get(
    "/assignments/{pk}/scores",
    response={200: ScoresOut, 403: ErrorOut, 404: ErrorOut},
    summary="My scores on an application",
)
@access("network", perm="programme.review", object="pk", model="programme.ReviewAssignment")
def get_scores(request: HttpRequest, pk: int) -> dict[str, Any]:
    """Reviewers: your points and comments on each criterion of the call's grid (other
    reviewers' scores are never shown). 404 after a conflict of interest."""
    return _scores_out(_my_assignment(require_authenticated(request), pk))


@router.put(
    "/assignments/{pk}/scores",
    response={200: ScoresOut, **ERRORS},
    summary="Save or send my scores",
)
@access("network", perm="programme.review", object="pk", model="programme.ReviewAssignment")
def put_scores(request: HttpRequest, pk: int, payload: ScoresIn) -> dict[str, Any]:
    """Reviewers: save your points (0 to the criterion's points, by half points) and comments
    as a draft, or send them with ``submit: true`` (every criterion needed; no change after).
    The whole grid is replaced: a criterion left out is not scored. Refusals: 422
    ``score_out_of_grid`` (nothing saved), ``scores_incomplete``; 409 ``scores_sent``,
    ``review_closed``."""
    actor = require_authenticated(request)
    assignment = _my_assignment(actor, pk)
    services.save_scores(
        actor=actor,
        assignment=assignment,
        points={s.criterion: s.points for s in payload.scores},
        comments={s.criterion: s.comment for s in payload.scores},
        comment=payload.comment,
        submit=payload.submit,
    )
    return _scores_out(_my_assignment(actor, pk))


@router.post(
    "/applications/{pk}/conflict",
    response={201: AssignmentOut, **ERRORS},
    summary="Declare a conflict of interest",
)
@access("network", perm="programme.review", object="pk", model="programme.Application")
@idempotent
def declare_conflict(request: HttpRequest, pk: int, payload: ConflictIn) -> tuple[int, Any]:
    """Reviewers: declare a conflict of interest with an application assigned to you, with
    a short reason. From then on it answers 404 to you and your scores stop counting."""
    actor = require_authenticated(request)
    require(actor, "programme.review")
    application = get_visible_or_404(Application, actor, pk=pk)
    assignment = (
        ReviewAssignment.objects.visible_to(actor)
        .filter(application=application, reviewer_id=actor.user_id)
        .first()
    )
    if assignment is None:
        raise Http404
    services.declare_conflict(actor=actor, application=application, reason=payload.reason)
    return 201, assignment_out(assignment)
