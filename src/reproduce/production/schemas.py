"""API schemas of the shop floor (the REST API in ``production/api.py``).

Quantities are decimals written as strings in JSON (no precision lost), in the unit named next
to them (UN/ECE Rec 20 code: ``C62`` piece, ``KGM`` kilogram…). States are stable codes.
The functions at the end turn models into these shapes.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from reproduce.inventory.models import Lot
from reproduce.production.models import Consumption, OutputRecord, Run, WorkPhoto
from reproduce.production.selectors import Progress, worked_seconds

PauseCode = Literal["break", "material", "machine", "quality", "other"]
ScrapCode = Literal["", "material", "setup", "machine", "operator", "tolerance", "other"]


# ---------------------------------------------------------------- input


class PauseIn(Schema):
    reason: PauseCode = Field(description="Why the work stops")
    note: str = Field("", max_length=300, description="Required when the reason is `other`")


class OutputIn(Schema):
    good: Decimal = Field(Decimal(0), description="Good parts made since the last declaration")
    scrap: Decimal = Field(Decimal(0), description="Parts scrapped")
    scrap_reason: ScrapCode = Field("", description="Required when `scrap` is more than 0")
    note: str = Field("", max_length=300)


class ConsumeIn(Schema):
    lot_code: str = Field(
        max_length=300,
        description="The lot's code, or the URL of its label's QR code "
        "(`…/10/<lot>`, `…/lot/<code>`)",
    )
    quantity: Decimal = Field(description="Quantity used, more than 0")
    unit: str = Field("", max_length=3, description="Unit of `quantity`; default: the lot's")
    location_id: int | None = Field(
        None, description="Stock location of the site it is taken from; default: where it is"
    )
    scanned: bool = Field(False, description="The code was read from the QR code")


class TimeIn(Schema):
    minutes: int = Field(description="Minutes worked off the clock, 1 to 1440")


class OutputLineIn(Schema):
    item_id: int = Field(description="An item of the site's organisation")
    quantity: Decimal
    unit: str = Field("", max_length=3, description="Default: the item's unit")
    code: str = Field("", max_length=20, description="Lot code; default: a new one")


class FinishIn(Schema):
    location_id: int | None = Field(
        None, description="Where the new lots go (a location of the site); default: production"
    )
    outputs: list[OutputLineIn] | None = Field(
        None,
        description="What was made. Default: one lot of the work order's default item with "
        "the good quantity declared; an empty list puts nothing in stock",
    )
    occurred_at: datetime | None = None


# ---------------------------------------------------------------- output


class RunOut(Schema):
    state: str = Field(description="running, paused or finished")
    started_at: datetime
    running_since: datetime | None
    finished_at: datetime | None
    worked_seconds: int = Field(description="On the clock so far, plus the time added by hand")
    extra_minutes: int
    good: Decimal
    scrap: Decimal
    version: int = Field(description="Increases on every change")
    updated_at: datetime


class WorkOut(Schema):
    id: int
    reference: str
    name: str
    state: str
    quantity: int
    order_id: int
    order_reference: str
    design: str
    site_id: int | None
    site: str
    machine: str
    planned_start: datetime | None
    due_at: datetime | None
    percent: int = Field(description="Good parts over the quantity, 0 to 100 (100 once done)")
    run: RunOut | None


class ConsumptionOut(Schema):
    id: int
    lot_code: str
    item: str
    quantity: Decimal
    unit: str
    location: str
    scanned: bool
    recorded_at: datetime


class OutputRecordOut(Schema):
    id: int
    good: Decimal
    scrap: Decimal
    scrap_reason: str
    note: str
    recorded_at: datetime


class PhotoOut(Schema):
    id: int
    caption: str
    kind: str
    taken_at: datetime
    url: str


class LotBrief(Schema):
    code: str
    item: str
    unit: str


class RunDetailOut(Schema):
    work_order: WorkOut
    consumptions: list[ConsumptionOut]
    outputs: list[OutputRecordOut]
    photos: list[PhotoOut]
    lots_made: list[LotBrief]


class FinishOut(Schema):
    work_order: WorkOut
    lots_made: list[LotBrief]


class ProgressRowOut(Schema):
    id: int
    reference: str
    name: str
    state: str
    site: str
    quantity: int
    good: Decimal
    scrap: Decimal
    percent: int
    activity: str = Field(description="running, paused, finished, or empty before the start")
    worked_minutes: int


class ProgressOut(Schema):
    order_id: int
    reference: str
    state: str
    etag: str = Field(description="Send it back as `If-None-Match`: 304 while unchanged")
    work_orders: list[ProgressRowOut]


# ---------------------------------------------------------------- shaping


def run_out(run: Run | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "state": run.state,
        "started_at": run.started_at,
        "running_since": run.running_since,
        "finished_at": run.finished_at,
        "worked_seconds": worked_seconds(run),
        "extra_minutes": run.extra_minutes,
        "good": run.good_quantity,
        "scrap": run.scrap_quantity,
        "version": run.version,
        "updated_at": run.updated_at,
    }


def work_out(p: Progress) -> dict[str, Any]:
    wo = p.work_order
    return {
        "id": wo.pk,
        "reference": wo.reference,
        "name": wo.name,
        "state": wo.state,
        "quantity": wo.quantity,
        "order_id": wo.order_id,
        "order_reference": wo.order.reference,
        "design": wo.manufacturing_order.version.design.name,
        "site_id": wo.site_id,
        "site": wo.site.name if wo.site else "",
        "machine": wo.machine.name if wo.machine else "",
        "planned_start": wo.planned_start,
        "due_at": wo.due_at,
        "percent": p.percent,
        "run": run_out(p.run),
    }


def consumption_out(c: Consumption) -> dict[str, Any]:
    return {
        "id": c.pk,
        "lot_code": c.lot.code,
        "item": c.lot.item.name,
        "quantity": c.quantity,
        "unit": c.unit,
        "location": c.location.code,
        "scanned": c.scanned,
        "recorded_at": c.recorded_at,
    }


def output_out(o: OutputRecord) -> dict[str, Any]:
    return {
        "id": o.pk,
        "good": o.good,
        "scrap": o.scrap,
        "scrap_reason": o.scrap_reason,
        "note": o.note,
        "recorded_at": o.recorded_at,
    }


def photo_out(photo: WorkPhoto, url: str) -> dict[str, Any]:
    return {
        "id": photo.pk,
        "caption": photo.caption,
        "kind": photo.blob.kind,
        "taken_at": photo.taken_at,
        "url": url,
    }


def lot_brief(lot: Lot) -> dict[str, Any]:
    return {"code": lot.code, "item": lot.item.name, "unit": lot.unit}


def progress_row(p: Progress) -> dict[str, Any]:
    wo = p.work_order
    return {
        "id": wo.pk,
        "reference": wo.reference,
        "name": wo.name,
        "state": wo.state,
        "site": wo.site.name if wo.site else "",
        "quantity": wo.quantity,
        "good": p.good,
        "scrap": p.scrap,
        "percent": p.percent,
        "activity": p.activity,
        "worked_minutes": p.worked_minutes,
    }
