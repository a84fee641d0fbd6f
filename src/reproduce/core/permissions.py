"""Roles and permissions, checked in one place.

Organisation roles (owner, manager, operator, viewer) give permissions inside that
organisation; network roles (coordinator, programme officer, reviewer) give permissions over
the network. Views and API operations declare an :class:`Access` policy with :func:`access`;
the generated permission matrix (``tests/test_permission_matrix.py``) reads those
declarations, so a route without one fails the suite.

Answers: an object of an organisation the actor is not a member of is *foreign* and answers
404 (its existence is not revealed); a member without the permission gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from reproduce.core.actor import Actor


class OrgRole(models.TextChoices):
    OWNER = "owner", _("Owner")  # full control, including roles and closing the organisation
    MANAGER = "manager", _("Manager")  # edits sites, machines, sharing; invites members
    OPERATOR = "operator", _("Operator")  # works on the shop floor; flags machines down
    VIEWER = "viewer", _("Viewer")  # reads the organisation's own data


class NetworkRoleName(models.TextChoices):
    COORDINATOR = "coordinator", _("Network coordinator")
    PROGRAMME_OFFICER = "programme_officer", _("Programme officer")
    REVIEWER = "reviewer", _("Reviewer")


_VIEW = {"organization.view", "site.view_private", "machine.view_private", "lot.trace"}
_OPERATE = _VIEW | {
    "machine.report_unavailability",
    "skill.declare",
    "build.report",
    "booking.create",
    "work.execute",
    "stock.move",
    "stock.receive",
}
_MANAGE = _OPERATE | {
    "organization.edit",
    "organization.invite",
    "site.edit",
    "machine.edit",
    "skill.validate",
    "sharing.edit",
    "okw.import",
    "design.edit",
    "design.release",
    "order.place",
    "offer.answer",
    "booking.manage",
    "stock.manage",
}
ORG_PERMISSIONS: dict[str, frozenset[str]] = {
    OrgRole.VIEWER: frozenset(_VIEW),
    OrgRole.OPERATOR: frozenset(_OPERATE),
    OrgRole.MANAGER: frozenset(_MANAGE),
    OrgRole.OWNER: frozenset(_MANAGE | {"organization.manage_roles"}),
}
NETWORK_PERMISSIONS: dict[str, frozenset[str]] = {
    NetworkRoleName.COORDINATOR: frozenset(
        {
            "network.view_members",
            "taxonomy.edit",
            "okw.import",
            "order.manage",
            "plan.view",
            "plan.manage",
            "trace.network",
            "lot.trace",
        }
    ),
    NetworkRoleName.PROGRAMME_OFFICER: frozenset(
        {"network.view_members", "programme.manage", "programme.view"}
    ),
    NetworkRoleName.REVIEWER: frozenset({"programme.review"}),
}
# Permissions that change data: an API token needs the "write" scope for them.
READ_ONLY_PERMISSIONS = frozenset(
    {
        "organization.view",
        "site.view_private",
        "machine.view_private",
        "network.view_members",
        "plan.view",
        "lot.trace",
        "trace.network",
        "programme.view",
    }
)


def has_perm(actor: Actor, perm: str, organization_id: int | None = None) -> bool:
    """Whether ``actor`` may ``perm`` in ``organization_id`` (or network-wide if None)."""
    if perm not in READ_ONLY_PERMISSIONS and not actor.allows_scope("write"):
        return False
    if organization_id is not None:
        role = actor.role_in(organization_id)
        if role is not None and perm in ORG_PERMISSIONS[role]:
            return True
    return any(perm in NETWORK_PERMISSIONS.get(r, frozenset()) for r in actor.network_roles)


def require(actor: Actor, perm: str, organization_id: int | None = None) -> None:
    """Raise 403 unless the actor has the permission."""
    if not has_perm(actor, perm, organization_id):
        raise PermissionDenied(_("You do not have the permission to do this."))


M = TypeVar("M", bound=models.Model)


def get_visible_or_404[M: models.Model](model: type[M], actor: Actor, **lookup: Any) -> M:
    """The object if the actor may see it; 404 whether it is missing or foreign."""
    try:
        return model.objects.visible_to(actor).get(**lookup)  # type: ignore[attr-defined,no-any-return]
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_for_action_or_404[M: models.Model](
    model: type[M], actor: Actor, perm: str, **lookup: Any
) -> M:
    """An object of one of the actor's organisations on which they want to act.

    Foreign (or missing) → 404; own organisation but lacking ``perm`` → 403.
    """
    queryset = model.objects.unscoped("filtered to the actor's organisations just below")  # type: ignore[attr-defined]
    path = model.organization_path  # type: ignore[attr-defined]
    try:
        obj = queryset.filter(**{f"{path}__in": list(actor.organization_ids)}).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    require(actor, perm, obj.owner_organization_id)
    return obj  # type: ignore[no-any-return]


Level = Literal["public", "authenticated", "member", "network"]


@dataclass(frozen=True)
class Access:
    """What a route needs. Read by the permission matrix.

    level: ``public`` (anyone), ``authenticated`` (any signed-in person), ``member`` (a role in
    the organisation owning ``object`` — or the active organisation when there is no object),
    ``network`` (a network role holding ``perm``).
    perm: the permission required (for member/network levels).
    object: the URL parameter naming the organisation-owned object, if any.
    model: dotted name of that object's model (the matrix builds own/foreign/shared rows).
    methods: the HTTP methods the page answers (default: GET, plus POST when it writes).
    on_visible: the write acts for the actor's own organisation, taking as its source an object
    the actor may merely *see* (fork a shared design, report having built it): a shared object
    then answers like an own one, a foreign one still 404.
    """

    level: Level
    perm: str | None = None
    object: str | None = None
    model: str | None = None
    methods: tuple[str, ...] | None = None
    on_visible: bool = False

    @property
    def http_methods(self) -> tuple[str, ...]:
        if self.methods is not None:
            return self.methods
        return ("GET", "POST") if self.writes else ("GET",)

    @property
    def writes(self) -> bool:
        return self.perm is not None and self.perm not in READ_ONLY_PERMISSIONS


F = TypeVar("F", bound=Callable[..., Any])


def access(
    level: Level,
    *,
    perm: str | None = None,
    object: str | None = None,
    model: str | None = None,
    methods: tuple[str, ...] | None = None,
    on_visible: bool = False,
) -> Callable[[F], F]:
    """Declare a view's access policy (see :class:`Access`)."""

    def decorate(view: F) -> F:
        view.access_policy = Access(  # type: ignore[attr-defined]
            level=level,
            perm=perm,
            object=object,
            model=model,  # type: ignore[attr-defined]
            methods=methods,
            on_visible=on_visible,
        )
        return view

    return decorate
