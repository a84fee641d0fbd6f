"""Review of the applications: reviewers assigned by an officer, conflicts of interest, scores
on the call's weighted grid, and the statistics the officer ranks with.

Each criterion of a call's grid (``Call.criteria``) has a number of points; a reviewer gives
0 to that number, in steps of half a point. Scores are saved as a draft and sent once
(``submit=True``): only sent scores count in the statistics, and a reviewer who declares a
conflict of interest stops seeing the application and their scores stop counting.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.accounts.models import NetworkRole, User
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import NetworkRoleName, require
from reproduce.programme.models import (
    Application,
    ApplicationState,
    Call,
    Conflict,
    ReviewAssignment,
    Score,
)
from reproduce.programme.services import ProgrammeError

HALF = Decimal("0.5")
CENT = Decimal("0.01")
SPREAD_FLAG = Decimal(20)  # totals further apart than this between reviewers are flagged
# Applications a reviewer may be assigned to and score.
REVIEWABLE = (ApplicationState.SUBMITTED, ApplicationState.INTERVIEW)
# Applications ranked by the officer: submitted ones, whatever happened since.
RANKED = (
    ApplicationState.SUBMITTED,
    ApplicationState.INTERVIEW,
    ApplicationState.ACCEPTED,
    ApplicationState.WAITLISTED,
    ApplicationState.REFUSED,
)


def criteria(call: Call) -> list[dict[str, Any]]:
    """The call's grid: ``[{"key", "label_fr", "label_nl", "label_en", "points"}, …]``."""
    return [c for c in (call.criteria or []) if c.get("key")]


def criterion_label(criterion: dict[str, Any]) -> str:
    from django.utils.translation import get_language

    lang = (get_language() or "fr")[:2]
    for code in (lang, "fr", "en", "nl"):
        if criterion.get(f"label_{code}"):
            return str(criterion[f"label_{code}"])
    return str(criterion["key"])


def grid_total(call: Call) -> Decimal:
    return sum((Decimal(str(c["points"])) for c in criteria(call)), Decimal(0))


def is_reviewer(user: Any) -> bool:
    return NetworkRole.objects.filter(user=user, role=NetworkRoleName.REVIEWER).exists()


def reviewers() -> Any:
    """People who hold the reviewer role, by name."""
    ids = NetworkRole.objects.filter(role=NetworkRoleName.REVIEWER).values("user")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("email")


def has_conflict(application: Application, user_id: int | None) -> bool:
    return (
        Conflict.objects.unscoped("existence test for one application")
        .filter(application=application, reviewer_id=user_id)
        .exists()
    )


# ---------------------------------------------------------------- assignments


@transaction.atomic
def assign_reviewer(*, actor: Actor, application: Application, reviewer: Any) -> ReviewAssignment:
    """Ask ``reviewer`` (a person with the reviewer role) to score ``application``.

    Refusals: ``not_a_reviewer``, ``not_reviewable`` (a draft or withdrawn application),
    ``reviewer_in_conflict`` (they declared a conflict of interest), ``already_assigned``.
    """
    require(actor, "programme.manage")
    if not is_reviewer(reviewer):
        raise ProgrammeError(
            _("This person is not a reviewer of the programme."), "not_a_reviewer", "reviewer"
        )
    if application.state not in REVIEWABLE:
        raise ProgrammeError(
            _("Only submitted applications can be reviewed."), "not_reviewable", "reviewer"
        )
    if has_conflict(application, reviewer.pk):
        raise ProgrammeError(
            _("This reviewer declared a conflict of interest with this application."),
            "reviewer_in_conflict",
            "reviewer",
        )
    try:
        with transaction.atomic():
            assignment = ReviewAssignment.objects.create(
                application=application, reviewer=reviewer, assigned_by=actor.user
            )
    except IntegrityError as exc:
        raise ProgrammeError(
            _("This reviewer is already assigned to this application."),
            "already_assigned",
            "reviewer",
        ) from exc
    audit.record(
        actor=actor,
        action="application.assign_reviewer",
        obj=application,
        changes={"reviewer": reviewer.pk, "assignment": assignment.pk},
    )
    return assignment


@transaction.atomic
def declare_conflict(*, actor: Actor, application: Application, reason: str) -> Conflict:
    """The reviewer declares a conflict of interest with ``application``: from now on they
    neither see nor score it, their scores stop counting, and the officer sees the conflict.

    Refusals: ``reason_required``, ``already_declared``.
    """
    require(actor, "programme.review")
    reason = (reason or "").strip()
    if not reason:
        raise ProgrammeError(
            _("Say briefly why (for example: a relative, a business partner)."),
            "reason_required",
            "reason",
        )
    try:
        with transaction.atomic():
            conflict = Conflict.objects.create(
                application=application, reviewer=actor.user, reason=reason[:300]
            )
    except IntegrityError as exc:
        raise ProgrammeError(
            _("You already declared a conflict of interest with this application."),
            "already_declared",
        ) from exc
    audit.record(
        actor=actor,
        action="application.conflict",
        obj=application,
        changes={"reviewer": actor.user_id},
    )
    return conflict


# ---------------------------------------------------------------- scores


def _points(value: Any, criterion: dict[str, Any]) -> Decimal:
    """``value`` as points on ``criterion``, or ``score_out_of_grid``."""
    maximum = Decimal(str(criterion["points"]))
    try:
        points = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise _out_of_grid(criterion, maximum) from exc
    if not points.is_finite() or points < 0 or points > maximum or points % HALF != 0:
        raise _out_of_grid(criterion, maximum)
    return points


def _out_of_grid(criterion: dict[str, Any], maximum: Decimal) -> ProgrammeError:
    return ProgrammeError(
        _("Give 0 to %(max)s points on “%(criterion)s”, in steps of half a point.")
        % {"max": _number(maximum), "criterion": criterion_label(criterion)},
        "score_out_of_grid",
        str(criterion["key"]),
    )


def _number(value: Decimal) -> str:
    return str(value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize())


def check_can_score(actor: Actor, assignment: ReviewAssignment) -> None:
    if assignment.reviewer_id != actor.user_id:
        raise ProgrammeError(_("This is not your review."), "not_assigned")
    if has_conflict(assignment.application, actor.user_id):
        raise ProgrammeError(
            _("You declared a conflict of interest with this application."), "conflict_declared"
        )
    if assignment.application.state not in REVIEWABLE:
        raise ProgrammeError(_("This application is no longer being reviewed."), "review_closed")
    if assignment.submitted_at is not None:
        raise ProgrammeError(_("Your scores were already sent."), "scores_sent")


@transaction.atomic
def save_scores(
    *,
    actor: Actor,
    assignment: ReviewAssignment,
    points: dict[str, Any],
    comments: dict[str, str],
    comment: str = "",
    submit: bool = False,
) -> ReviewAssignment:
    """Save the reviewer's points and comments on the grid; ``submit`` sends them (then every
    criterion needs points, and they can no longer change).

    A criterion left empty (``None`` or "") is not scored yet. Refusals: ``score_out_of_grid``
    (``field`` = the criterion's key; nothing is saved), ``scores_incomplete``,
    ``scores_sent``, ``review_closed``, ``conflict_declared``, ``not_assigned``.
    """
    require(actor, "programme.review")
    locked = (
        ReviewAssignment.objects.unscoped("the reviewer's own assignment, checked below")
        .select_for_update()
        .select_related("application__call")
        .get(pk=assignment.pk)
    )
    check_can_score(actor, locked)
    grid = {str(c["key"]): c for c in criteria(locked.application.call)}
    unknown = set(points) - set(grid)
    if unknown:
        raise ProgrammeError(
            _("“%(key)s” is not a criterion of this call.") % {"key": sorted(unknown)[0]},
            "score_out_of_grid",
            sorted(unknown)[0],
        )
    given = {k: _points(v, grid[k]) for k, v in points.items() if v not in (None, "")}
    if submit and set(given) != set(grid):
        missing = [k for k in grid if k not in given]
        raise ProgrammeError(
            _("Give points on every criterion before sending: %(missing)s.")
            % {"missing": ", ".join(criterion_label(grid[k]) for k in missing)},
            "scores_incomplete",
            missing[0],
        )
    _write_scores(locked, given, comments)
    locked.comment = comment or ""
    locked.submitted_at = timezone.now() if submit else None
    locked.save(update_fields=["comment", "submitted_at"])
    audit.record(
        actor=actor,
        action="application.scores_sent" if submit else "application.scores_saved",
        obj=locked.application,
        changes={"assignment": locked.pk, "total": str(sum(given.values(), Decimal(0)))},
    )
    return locked


def _write_scores(
    assignment: ReviewAssignment, given: dict[str, Decimal], comments: dict[str, str]
) -> None:
    """Upsert one row per scored criterion (a comment is kept with its points; a criterion
    cleared in a draft loses its row)."""
    existing = {s.criterion: s for s in assignment.scores.all()}
    for key, value in given.items():
        text = (comments.get(key) or "").strip()
        score = existing.pop(key, None)
        if score is None:
            Score.objects.create(assignment=assignment, criterion=key, points=value, comment=text)
        elif (score.points, score.comment) != (value, text):
            score.points, score.comment = value, text
            score.save(update_fields=["points", "comment", "updated_at"])
    for score in existing.values():
        score.delete()


# ---------------------------------------------------------------- statistics


@dataclass
class ApplicationStats:
    """What the officer sees of an application's review (never who gave what)."""

    application: Application
    assigned: int = 0
    reviews_done: int = 0
    conflicts: int = 0
    criterion_means: dict[str, Decimal | None] = field(default_factory=dict)
    totals: list[Decimal] = field(default_factory=list)
    mean_total: Decimal | None = None
    spread: Decimal | None = None
    rank: int | None = None

    @property
    def flagged(self) -> bool:
        return self.spread is not None and self.spread > SPREAD_FLAG


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def score_statistics(call: Call, *, states: tuple[str, ...] = RANKED) -> list[ApplicationStats]:
    """Per application of ``call``: per-criterion mean, mean total, spread between reviewers
    (max − min of their totals, flagged above :data:`SPREAD_FLAG`), reviews done; ranked by
    mean total (equal means share a rank; not yet scored last). Only sent scores of reviewers
    without a conflict count. Four queries whatever the number of applications.
    """
    apps = list(
        Application.objects.unscoped("statistics for the officer's ranking")
        .filter(call=call, state__in=states)
        .order_by("reference")
    )
    rows = {a.pk: ApplicationStats(application=a) for a in apps}
    conflicted = set(
        Conflict.objects.unscoped("statistics for the officer's ranking")
        .filter(application__call=call)
        .values_list("application_id", "reviewer_id")
    )
    for app_id, _reviewer in conflicted:
        if app_id in rows:
            rows[app_id].conflicts += 1
    done: dict[int, set[int]] = defaultdict(set)
    for pk, app_id, reviewer_id, sent in (
        ReviewAssignment.objects.unscoped("statistics for the officer's ranking")
        .filter(application__in=rows)
        .values_list("pk", "application_id", "reviewer_id", "submitted_at")
    ):
        if (app_id, reviewer_id) in conflicted:
            continue
        rows[app_id].assigned += 1
        if sent is not None:
            done[app_id].add(pk)
    points: dict[int, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for assignment_id, app_id, criterion, value in (
        Score.objects.unscoped("statistics for the officer's ranking")
        .filter(assignment__application__in=rows, assignment__submitted_at__isnull=False)
        .values_list("assignment_id", "assignment__application_id", "criterion", "points")
    ):
        if assignment_id in done[app_id]:
            points[app_id][assignment_id][criterion] = value
    keys = [str(c["key"]) for c in criteria(call)]
    for app_id, row in rows.items():
        _fill(row, keys, points[app_id])
    return _ranked(list(rows.values()))


def _fill(row: ApplicationStats, keys: list[str], by_review: dict[int, dict[str, Decimal]]) -> None:
    reviews = list(by_review.values())
    row.reviews_done = len(reviews)
    row.criterion_means = {k: _mean([r[k] for r in reviews if k in r]) for k in keys}
    row.totals = sorted((sum(r.values(), Decimal(0)) for r in reviews), reverse=True)
    row.mean_total = _mean(row.totals)
    row.spread = (max(row.totals) - min(row.totals)).quantize(CENT) if row.totals else None


def _ranked(rows: list[ApplicationStats]) -> list[ApplicationStats]:
    scored = sorted(
        (r for r in rows if r.mean_total is not None),
        key=lambda r: (-(r.mean_total or 0), r.application.reference),
    )
    previous: Decimal | None = None
    for position, row in enumerate(scored, 1):
        row.rank = position if row.mean_total != previous else scored[position - 2].rank
        previous = row.mean_total
    unscored = [r for r in rows if r.mean_total is None]
    return scored + sorted(unscored, key=lambda r: r.application.reference)
