"""Platform administration of the shop floor: read-only (runs change through the services)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reproduce.core.admin import PlatformAdmin
from reproduce.production.models import Run


@admin.register(Run)
class RunAdmin(PlatformAdmin):
    list_display = ("work_order", "state", "started_at", "good_quantity", "scrap_quantity")
    list_filter = ("state",)
    search_fields = ("work_order__reference",)
    list_select_related = ("work_order",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
