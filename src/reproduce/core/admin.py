"""Platform administration (Django admin) for technical administrators.

Organisation data is reached with an explicit unscoped query, and every change made here is
recorded in the audit log like a change made through the services.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from reproduce.core import audit
from reproduce.core.actor import actor_for_user
from reproduce.core.models import AuditEvent
from reproduce.core.tenancy import ScopedManager


class PlatformAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Admin for any model: unscoped reads (visible opt-out), audited writes."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        manager: Any = self.model._default_manager
        if isinstance(manager, ScopedManager):
            queryset = manager.unscoped("platform administration")
        else:
            queryset = manager.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        before = audit.snapshot(obj) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        audit.record(
            actor=actor_for_user(request.user),
            action="admin.changed" if change else "admin.created",
            obj=obj,
            changes=audit.diff(before, audit.snapshot(obj)),
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit.record(
            actor=actor_for_user(request.user),
            action="admin.deleted",
            obj=obj,
            changes=audit.snapshot(obj),
        )
        super().delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit log is append-only: readable here, never editable."""

    list_display = ("sequence", "occurred_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_id", "action")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
