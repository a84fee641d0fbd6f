"""Tenancy: every organisation-owned query must say whose data it reads.

A model that belongs to an organisation uses ``ScopedManager``. Its querysets refuse to be
evaluated until one of three scopes is applied:

* ``visible_to(actor)`` – what this person (or API token) may see, following the model's
  ``visibility_q(actor)`` rule;
* ``owned_by(organization)`` – the rows of one organisation, for code that already checked
  the actor's role in it;
* ``unscoped(reason)`` – background jobs, exports of the whole network, the admin: visible
  opt-outs that a reviewer can grep for.

Rows reached through a related manager of an object that was itself loaded through a scope
(``site.machines.all()``) are allowed: the parent already carried the check.

Models that hold no organisation data (the process taxonomy, the audit log) declare
``tenancy = "global"``. The accompaniment programme's records (calls, applications, scores,
cohorts) belong to people and to the programme rather than to an organisation: they derive from
:class:`ProgrammeModel` (``tenancy = "programme"``), use the same scoped manager, and answer
``visible_to(actor)`` with their own rule (officers, the applicant, the reviewers assigned).
``tests/test_tenancy.py`` checks that every model says which.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from reproduce.core.actor import Actor


class UnscopedQueryError(RuntimeError):
    """Raised when an organisation-owned model is queried without a scope."""


_UNSCOPED_BLOCK: ContextVar[str | None] = ContextVar("unscoped_block", default=None)


@contextmanager
def unscoped_block(reason: str) -> Iterator[None]:
    """Let Django's own machinery (uniqueness checks) query across organisations."""
    token = _UNSCOPED_BLOCK.set(reason)
    try:
        yield
    finally:
        _UNSCOPED_BLOCK.reset(token)


_GUARDED = ("count", "exists", "aggregate", "update", "delete", "iterator", "in_bulk", "explain")


class ScopedQuerySet(models.QuerySet):
    _scope: str | None = None

    # _clone and _chain are Django's private copy hooks (not in the stubs): the scope travels
    # with every copy of the queryset.
    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._scope = self._scope
        return clone

    def _scoped(self, scope: str) -> Self:
        clone: Self = self._chain()  # type: ignore[attr-defined]
        clone._scope = scope
        return clone

    def _check_scope(self) -> None:
        hints = getattr(self, "_hints", {})
        if self._scope is None and "instance" not in hints and _UNSCOPED_BLOCK.get() is None:
            raise UnscopedQueryError(
                f"{self.model.__name__} is organisation data: use .visible_to(actor), "
                ".owned_by(organization) or .unscoped(reason)."
            )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def visible_to(self, actor: Actor) -> Self:
        model: Any = self.model
        return self.filter(model.visibility_q(actor))._scoped("actor")

    def owned_by(self, organization: Any) -> Self:
        """Rows of one organisation (an instance or id) or of several (an iterable of ids)."""
        path = getattr(self.model, "organization_path", "organization")
        if isinstance(organization, (list, set, frozenset, tuple)):
            lookup = {f"{path}__in": list(organization)}
        else:
            lookup = {path: organization}
        return self.filter(**lookup)._scoped("owner")

    def unscoped(self, reason: str) -> Self:
        """Opt out of scoping; ``reason`` documents why at the call site."""
        assert reason, "say why this query may read every organisation's rows"
        return self._scoped("unscoped")


def _guard(name: str):  # type: ignore[no-untyped-def]
    original = getattr(models.QuerySet, name)

    def method(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._check_scope()
        return original(self, *args, **kwargs)

    method.__name__ = name
    return method


for _name in _GUARDED:
    setattr(ScopedQuerySet, _name, _guard(_name))


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    """Default manager of organisation-owned models (see module docstring)."""


class OrgScopedModel(models.Model):
    """Base for models that belong to an organisation.

    Subclasses set ``organization_path`` (the lookup to the owning organisation) and may
    refine ``visibility_q``; the default lets members of the owning organisation see the row.
    """

    tenancy = "organization"
    organization_path = "organization"

    objects = ScopedManager()

    class Meta:
        abstract = True

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(**{f"{cls.organization_path}__in": list(actor.organization_ids)})

    # Uniqueness must hold across organisations (a slug is global), so these checks may look
    # at every row; they only answer "exists or not" and never return rows.
    def validate_unique(self, exclude: Any = None) -> None:
        with unscoped_block("uniqueness check"):
            super().validate_unique(exclude=exclude)

    def validate_constraints(self, exclude: Any = None) -> None:
        with unscoped_block("constraint check"):
            super().validate_constraints(exclude=exclude)

    @property
    def owner_organization_id(self) -> int:
        obj: Any = self
        parts = self.organization_path.split("__")
        for part in parts[:-1]:
            obj = getattr(obj, part)
        return int(getattr(obj, f"{parts[-1]}_id"))


class ProgrammeModel(models.Model):
    """Base for the accompaniment programme's records (see module docstring).

    Subclasses define ``visibility_q(actor)``; the default shows nothing. ``owned_by`` has no
    meaning here: code that already checked the actor uses ``unscoped(reason)``.
    """

    tenancy = "programme"

    objects = ScopedManager()

    class Meta:
        abstract = True

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(pk__in=[])

    def validate_unique(self, exclude: Any = None) -> None:
        with unscoped_block("uniqueness check"):
            super().validate_unique(exclude=exclude)

    def validate_constraints(self, exclude: Any = None) -> None:
        with unscoped_block("constraint check"):
            super().validate_constraints(exclude=exclude)
