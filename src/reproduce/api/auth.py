"""API authentication: personal access tokens (Bearer) or the browser session.

Every request gets ``request.actor``; anonymous callers get the anonymous actor and see only
public data. A token acts with its owner's roles, limited to the token's scopes.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from ninja.errors import AuthenticationError

from reproduce.core.actor import ANONYMOUS, Actor, actor_for_user
from reproduce.core.middleware import ACTIVE_ORG_SESSION_KEY


def _token_actor(raw: str) -> Actor:
    from reproduce.accounts.models import ApiToken

    token = (
        ApiToken.objects.select_related("user").filter(token_hash=ApiToken.hash_token(raw)).first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        raise AuthenticationError()
    # Written at most once a minute: reads stay reads.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    scopes = frozenset(token.scopes) | ({"read"} if "write" in token.scopes else set())
    return actor_for_user(token.user, scopes=scopes)


def _csrf_ok(request: HttpRequest) -> bool:
    check = CsrfViewMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    check.process_request(request)
    return check.process_view(request, lambda r: None, (), {}) is None  # type: ignore[arg-type,return-value]


class ActorAuth:
    """Ninja auth callable that always resolves an actor (anonymous when no credentials)."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Actor | None:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise AuthenticationError()
            actor = _token_actor(raw.strip())
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS") and not _csrf_ok(request):
                raise AuthenticationError()
            actor = actor_for_user(
                request.user, active_organization_id=request.session.get(ACTIVE_ORG_SESSION_KEY)
            )
        else:
            actor = ANONYMOUS
        request.actor = actor  # type: ignore[attr-defined]
        return actor


def require_authenticated(request: HttpRequest) -> Actor:
    actor: Any = request.actor  # type: ignore[attr-defined]
    if not actor.is_authenticated:
        raise AuthenticationError()
    return actor  # type: ignore[no-any-return]
