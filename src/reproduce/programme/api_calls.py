"""REST API of calls for applications.

Anyone, without authentication, lists the published calls and reads one (``GET /calls``,
``GET /calls/{slug}``); programme officers also see drafts, and create (idempotent with an
``Idempotency-Key``), change, publish and close calls. Refusals carry a stable code: 409 for the
state of the call (``invalid_transition``, ``call_locked``), 422 for what was sent
(``incomplete``, ``forbidden_wording`` — the FEDER rule —, ``deadline_in_past``,
``criteria_total``, ``invalid_dates``…).
"""

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from reproduce.accounts.models import Organization
from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ErrorOut
from reproduce.api.idempotency import idempotent
from reproduce.api.pagination import Page, PageParams
from reproduce.core.actor import request_actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.programme.models import Call
from reproduce.programme.schemas_calls import CallIn, CallOut, CallPatch, call_out
from reproduce.programme.services import calls as services

router = Router(tags=["programme"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PARTS = ("criteria", "questions", "documents")


class CallFilter(PageParams):
    state: Literal["draft", "published", "closed", "decided", "archived"] | None = None
    open: bool | None = None


def _fablabs(slugs: list[str]) -> list[Organization]:
    found = {o.slug: o for o in Organization.objects.filter(slug__in=slugs, is_active=True)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise ValidationError(
            {"host_fablabs": _("No such organisation: %(slug)s.") % {"slug": unknown[0]}}
        )
    return [found[s] for s in slugs]


def _parts(payload: dict[str, Any]) -> dict[str, Any]:
    """Split a payload into the call's values and its parts (grid, questions, documents)."""
    parts = {name: payload.pop(name) for name in PARTS if name in payload}
    if "host_fablabs" in payload:
        slugs = payload.pop("host_fablabs")
        parts["host_fablabs"] = _fablabs(slugs) if slugs is not None else None
    return {"values": payload, **parts}


@router.get(
    "/calls",
    response=Page[CallOut],
    summary="Calls for applications (no authentication needed)",
    url_name="calls",
)
@access("public")
def list_calls(request: HttpRequest, filters: Query[CallFilter]) -> dict[str, Any]:
    """The published calls, those open for applications first (by deadline), then the
    closed ones — to anyone, without authentication. Programme officers also see drafts.
    Filters: ``state``, ``open`` (published and the deadline not yet passed)."""
    actor = request_actor(request)
    rows = Call.objects.visible_to(actor).prefetch_related("host_fablabs")
    if filters.state:
        rows = rows.filter(state=filters.state)
    items = sorted(rows, key=lambda c: (not services.is_open(c), c.deadline))
    if filters.open is not None:
        items = [c for c in items if services.is_open(c) == filters.open]
    page = items[filters.offset : filters.offset + filters.limit]
    return {"items": [call_out(c) for c in page], "count": len(items)}


@router.get(
    "/calls/{slug}",
    response={200: CallOut, 404: ErrorOut},
    summary="One call for applications (no authentication needed)",
    url_name="call",
)
@access("public", object="slug", model="programme.Call")
def get_call(request: HttpRequest, slug: str) -> dict[str, Any]:
    """A published call with its dates, host fablabs, scoring grid, questions and documents
    asked. A draft answers 404 except to programme officers."""
    return call_out(get_visible_or_404(Call, request_actor(request), slug=slug))


@router.post("/calls", response={201: CallOut, **ERRORS}, summary="Create a call")
@access("network", perm="programme.manage")
@idempotent
def create_call(request: HttpRequest, payload: CallIn) -> tuple[int, Any]:
    """A new call, as a draft (programme officers). Send an ``Idempotency-Key`` header to
    retry safely. The grid defaults to the snapshot's (thematic fit 40, fablabs and digital
    tools 30, originality 10, method 20) and must total 100 (422 ``criteria_total``). A text
    holding a word the FEDER rule forbids is accepted in a draft; publishing refuses it."""
    actor = require_authenticated(request)
    require(actor, "programme.manage")
    data = payload.model_dump()
    if not data["slug"]:
        data.pop("slug")
    parts = _parts(data)
    call = services.create_call(
        actor=actor,
        values=parts["values"],
        host_fablabs=parts.get("host_fablabs") or [],
        criteria=parts.get("criteria"),
        questions=parts.get("questions"),
        documents=parts.get("documents"),
    )
    return 201, call_out(call)


@router.patch("/calls/{slug}", response={200: CallOut, **ERRORS}, summary="Change a call")
@access("network", perm="programme.manage", object="slug", model="programme.Call")
def update_call(request: HttpRequest, slug: str, payload: CallPatch) -> dict[str, Any]:
    """Change a draft or published call: only the fields sent change. A published call must
    stay complete and free of forbidden words (422 ``incomplete``, ``forbidden_wording``); a
    closed one answers 409 ``call_locked``."""
    actor = require_authenticated(request)
    require(actor, "programme.manage")
    call = get_visible_or_404(Call, actor, slug=slug)
    parts = _parts(payload.model_dump(exclude_unset=True))
    call = services.update_call(actor=actor, call=call, **parts)
    return call_out(call)


def _transition(request: HttpRequest, slug: str, action: Any) -> dict[str, Any]:
    actor = require_authenticated(request)
    require(actor, "programme.manage")
    call = get_visible_or_404(Call, actor, slug=slug)
    return call_out(action(actor=actor, call=call))


@router.post("/calls/{slug}/publish", response={200: CallOut, **ERRORS}, summary="Publish a call")
@access("network", perm="programme.manage", object="slug", model="programme.Call")
def publish_call(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Open a draft to applications. Refused while the call is incomplete (422
    ``incomplete``: titles and descriptions in French, Dutch and English, a host fablab, the
    grid), holds a word the FEDER rule forbids (422 ``forbidden_wording``, with the word found
    and what to write instead: "accompagnement", "atelier", "session d'apprentissage"),
    or its deadline has passed (422 ``deadline_in_past``). Not a draft: 409
    ``invalid_transition``."""
    return _transition(request, slug, services.publish_call)


@router.post("/calls/{slug}/close", response={200: CallOut, **ERRORS}, summary="Close a call")
@access("network", perm="programme.manage", object="slug", model="programme.Call")
def close_call(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Stop accepting applications (review and interviews follow). Only a published call
    closes: otherwise 409 ``invalid_transition``."""
    return _transition(request, slug, services.close_call)
