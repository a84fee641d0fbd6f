"""Platform administration of the stock.

Stock changes only through the services (they lock, check the ledger and record the trace
events), so the admin shows the stock and lets an administrator fix a name or a location
kind; lots, the ledger, reservations, transfers and events are read-only here. A wrong
quantity is corrected by an adjustment on the lot's page, never by editing the ledger.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reproduce.core.admin import PlatformAdmin
from reproduce.inventory.models import (
    ItemConversion,
    Location,
    Lot,
    Receipt,
    Reservation,
    StockEntry,
    StockPool,
    TraceEvent,
    Transfer,
)


class ReadOnlyAdmin(PlatformAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Location)
class LocationAdmin(PlatformAdmin):
    list_display = ("code", "name", "site", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "site__name")
    readonly_fields = ("site", "code")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StockPool)
class StockPoolAdmin(PlatformAdmin):
    list_display = ("name", "organization", "created_at")
    search_fields = ("name", "organization__name")
    filter_horizontal = ("members",)
    readonly_fields = ("organization",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ("code", "item", "status", "origin", "owner", "custodian", "created_at")
    list_filter = ("status", "origin", "grade")
    search_fields = ("code", "gtin", "item__name", "owner__name", "supplier")
    list_select_related = ("item", "owner", "custodian")


@admin.register(StockEntry)
class StockEntryAdmin(ReadOnlyAdmin):
    """The ledger: append-only."""

    list_display = ("recorded_at", "lot", "kind", "quantity", "location", "recorded_by")
    list_filter = ("kind",)
    search_fields = ("lot__code", "reason")
    list_select_related = ("lot", "location__site", "recorded_by")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("reference", "site", "supplier", "received_at")
    search_fields = ("reference", "supplier", "delivery_note")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("lot", "work_order", "quantity", "state", "created_at")
    list_filter = ("state",)


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("reference", "from_site", "to_site", "state", "shipped_at", "received_at")
    list_filter = ("state",)
    search_fields = ("reference",)


@admin.register(ItemConversion)
class ItemConversionAdmin(ReadOnlyAdmin):
    list_display = ("item", "from_unit", "to_unit", "factor")


@admin.register(TraceEvent)
class TraceEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "type", "biz_step", "organization", "site")
    list_filter = ("type", "biz_step")
