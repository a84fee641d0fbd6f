"""REST API of the cohorts, their grants and the public events.

Programme officers (``programme.view``) list cohorts and read one with its participants and its
plan of sessions, list a cohort's grants with totals; with ``programme.manage`` they approve and
pay grants. Anyone, without authentication, lists the published events.

Refusals carry a stable code: ``invalid_transition`` (409) for a grant not in the right state;
``de_minimis_exceeded`` with the figures in ``details`` (total, window, ceiling, room left);
``over_ceiling``, ``over_receipts``, ``de_minimis_missing``, ``reference_required``,
``date_in_future``.
"""

from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router

from reproduce.api.auth import require_authenticated
from reproduce.api.errors import STATUS_BY_CODE, ApiError, ErrorOut
from reproduce.api.pagination import Page, PageParams, page_of
from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.programme.access import record_access
from reproduce.programme.models import Cohort, Event, Grant, GrantReceipt
from reproduce.programme.schemas_cohorts import (
    CohortDetailOut,
    CohortOut,
    EventOut,
    GrantList,
    GrantOut,
    PayIn,
    cohort_out,
    event_out,
    grant_out,
    participant_out,
    session_out,
)
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services import cohorts as services

router = Router(tags=["programme"])

VIEW, MANAGE = "programme.view", "programme.manage"
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MONEY = DecimalField(max_digits=12, decimal_places=2)


def _officer(request: HttpRequest, perm: str = VIEW) -> Actor:
    actor = require_authenticated(request)  # anonymous: 401
    require(actor, perm)
    return actor


def _refusal(exc: ProgrammeError) -> ApiError:
    """A service's refusal, with the de minimis figures when there are some."""
    figures = getattr(exc, "figures", None)
    details: dict[str, Any] = {}
    if figures is not None:
        details = {
            "total": str(figures.total),
            "window_start": figures.window_start.isoformat(),
            "window_end": figures.window_end.isoformat(),
            "ceiling": str(figures.ceiling),
        }
    code = str(exc.code)
    return ApiError(STATUS_BY_CODE.get(code, 422), code, exc.messages[0], details)


# ---------------------------------------------------------------- cohorts


@router.get("/cohorts", response={200: Page[CohortOut], 403: ErrorOut}, summary="Cohorts")
@access("network", perm=VIEW)
def list_cohorts(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """The cohorts of the accompaniment programme (programme officers), newest first, with
    their number of participants."""
    actor = _officer(request)
    rows = (
        Cohort.objects.visible_to(actor)
        .select_related("call")
        .annotate(n=Count("participants"))
        .order_by("-starts_on", "pk")
    )
    items, count = page_of(rows, page)
    return {"items": [cohort_out(c, c.n) for c in items], "count": count}


@router.get(
    "/cohorts/{pk}",
    response={200: CohortDetailOut, 403: ErrorOut, 404: ErrorOut},
    summary="One cohort with its participants and sessions",
)
@access("network", perm=VIEW, object="pk", model="programme.Cohort")
def get_cohort(request: HttpRequest, pk: int) -> dict[str, Any]:
    """A cohort with its participants (enterprise, enterprise key for the FEDER indicators,
    host fablab, convention and de minimis signatures) and its plan of sessions S1–S32.
    Reading the participants is an access to their applications: it is audited."""
    actor = _officer(request)
    cohort = get_visible_or_404(Cohort, actor, pk=pk)
    participants = list(services.participants_of(actor, cohort).select_related("de_minimis"))
    for p in participants:
        record_access(actor, p.application, "api")
    sessions = cohort.sessions.select_related("place").order_by("number")
    return {
        **cohort_out(cohort, len(participants)),
        "participant_list": [participant_out(p) for p in participants],
        "sessions": [session_out(s) for s in sessions],
    }


# ---------------------------------------------------------------- grants


def _grants(actor: Actor) -> Any:
    receipts = (
        GrantReceipt.objects.unscoped("sum of the receipts of each visible grant")
        .filter(grant=OuterRef("pk"))
        .values("grant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Grant.objects.visible_to(actor)
        .select_related("participant__application")
        .annotate(
            receipts_total=Coalesce(
                Subquery(receipts, output_field=MONEY), Value(Decimal(0)), output_field=MONEY
            )
        )
    )


@router.get(
    "/cohorts/{pk}/grants",
    response={200: GrantList, 403: ErrorOut, 404: ErrorOut},
    summary="Grants of a cohort",
)
@access("network", perm=VIEW, object="pk", model="programme.Cohort")
def list_grants(request: HttpRequest, pk: int, page: Query[PageParams]) -> dict[str, Any]:
    """Every grant of the cohort's participants (participation €1,000, materials up to €500 on
    receipts) with its state and payment, the receipts' total, and the totals by state."""
    actor = _officer(request)
    cohort = get_visible_or_404(Cohort, actor, pk=pk)
    rows = _grants(actor).filter(participant__cohort=cohort).order_by("participant", "kind", "pk")
    totals = services.grant_totals(list(rows))
    items, count = page_of(rows, page)
    return {"items": [grant_out(g) for g in items], "count": count, "totals": totals}


def _grant(actor: Actor, pk: int) -> Grant:
    grant = _grants(actor).filter(pk=pk).first()
    if grant is None:
        raise Http404
    return grant  # type: ignore[no-any-return]


@router.post("/grants/{pk}/approve", response={200: GrantOut, **ERRORS}, summary="Approve a grant")
@access("network", perm=MANAGE, object="pk", model="programme.Grant")
def approve_grant(request: HttpRequest, pk: int) -> dict[str, Any]:
    """Approve a requested grant. Checked again: the participant signed the de minimis
    declaration (``de_minimis_missing``), the ceilings (``over_ceiling``), the receipts of a
    materials grant (``over_receipts``) and the de minimis ceiling of €300,000 over any three
    years for the enterprise (``de_minimis_exceeded``, figures in ``details``). Approving
    twice: 409 ``invalid_transition``."""
    actor = _officer(request, MANAGE)
    grant = _grant(actor, pk)
    try:
        services.approve_grant(actor=actor, grant=grant)
    except ProgrammeError as exc:
        raise _refusal(exc) from exc
    return grant_out(_grant(actor, pk))


@router.post("/grants/{pk}/pay", response={200: GrantOut, **ERRORS}, summary="Record a payment")
@access("network", perm=MANAGE, object="pk", model="programme.Grant")
def pay_grant(request: HttpRequest, pk: int, payload: PayIn) -> dict[str, Any]:
    """Record the payment of an approved grant with its bank reference (and the day, today by
    default). A grant not approved (or already paid): 409 ``invalid_transition``."""
    actor = _officer(request, MANAGE)
    grant = _grant(actor, pk)
    try:
        services.pay_grant(
            actor=actor, grant=grant, reference=payload.reference, paid_on=payload.paid_on
        )
    except ProgrammeError as exc:
        raise _refusal(exc) from exc
    return grant_out(_grant(actor, pk))


# ---------------------------------------------------------------- events


@router.get(
    "/events",
    response=Page[EventOut],
    summary="Public events (no authentication needed)",
)
@access("public")
def list_events(
    request: HttpRequest, page: Query[PageParams], upcoming: bool = True
) -> dict[str, Any]:
    """The published events of the programme (Maker Faire, Meet the Maker…) with their free
    places, soonest first. ``upcoming=false`` lists the past ones too."""
    rows = Event.objects.visible_to(request_actor(request)).filter(is_published=True)
    if upcoming:
        rows = rows.filter(ends_at__gte=timezone.now())
    rows = rows.annotate(
        taken=Count("registrations", filter=Q(registrations__cancelled_at__isnull=True))
    ).order_by("starts_at", "pk")
    items, count = page_of(rows, page)
    return {
        "items": [
            event_out(e, None if e.capacity is None else max(e.capacity - e.taken, 0))
            for e in items
        ],
        "count": count,
    }
