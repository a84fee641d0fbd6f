from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from reproduce.core.actor import actor_for_user

ACTIVE_ORG_SESSION_KEY = "active_organization_id"


class ActorMiddleware:
    """Attach ``request.actor`` (lazily: anonymous pages cost no query)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        def load():  # type: ignore[no-untyped-def]
            active = (
                request.session.get(ACTIVE_ORG_SESSION_KEY) if hasattr(request, "session") else None
            )
            return actor_for_user(request.user, active_organization_id=active)

        request.actor = SimpleLazyObject(load)  # type: ignore[attr-defined]
        return self.get_response(request)
