"""The acting person (or API token) of a request, with their roles, built once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ANONYMOUS_ID = None


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user, their role in each organisation and their network roles.

    ``scopes`` limits what an API token may do (None for a signed-in browser session).
    ``active_organization_id`` is the organisation chosen in the switcher.
    """

    user: Any = None
    memberships: dict[int, str] = field(default_factory=dict)
    network_roles: frozenset[str] = frozenset()
    active_organization_id: int | None = None
    scopes: frozenset[str] | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def organization_ids(self) -> frozenset[int]:
        return frozenset(self.memberships)

    @property
    def is_network_member(self) -> bool:
        """Members of an organisation of the network, and network staff, see network-shared data."""
        return bool(self.memberships) or bool(self.network_roles)

    def role_in(self, organization_id: int | None) -> str | None:
        if organization_id is None:
            return None
        return self.memberships.get(int(organization_id))

    def has_network_role(self, *roles: str) -> bool:
        return bool(self.network_roles.intersection(roles))

    def allows_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


ANONYMOUS = Actor()


def actor_for_user(
    user: Any, *, active_organization_id: int | None = None, scopes: frozenset[str] | None = None
) -> Actor:
    """Load the actor of a signed-in user: one query for memberships, one for network roles."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    from reproduce.accounts.models import Membership, NetworkRole

    memberships = dict(
        Membership.objects.unscoped("building the actor of the signed-in user")
        .filter(user=user, organization__is_active=True)
        .values_list("organization_id", "role")
    )
    roles = frozenset(NetworkRole.objects.filter(user=user).values_list("role", flat=True))
    if active_organization_id not in memberships:
        active_organization_id = next(iter(sorted(memberships)), None)
    return Actor(
        user=user,
        memberships=memberships,
        network_roles=roles,
        active_organization_id=active_organization_id,
        scopes=scopes,
    )


def request_actor(request: Any) -> Actor:
    """The actor the middleware attached to this request (a person, a token or anonymous)."""
    return request.actor  # type: ignore[no-any-return]
