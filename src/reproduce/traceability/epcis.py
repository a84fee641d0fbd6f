"""GS1 EPCIS 2.0 JSON-LD export of the traceability events.

Each :class:`~reproduce.inventory.models.TraceEvent` becomes one EPCIS event:

* ``ObjectEvent`` — receiving from a supplier (``ADD``: the lot comes into being in the
  network), commissioning, inspecting (``OBSERVE``, disposition conformant or
  non_conformant), shipping to another site and receiving there (``OBSERVE``, with
  ``sourceList``/``destinationList`` naming the owning parties and the locations);
* ``TransformationEvent`` — production: input and output quantity lists, the work order as
  ``transformationID``;
* ``AggregationEvent`` — packing lots into a box or a pallet (``parentID``,
  ``childQuantityList``).

Lots are quantities, not serialised items, so they appear as class-level identifiers with a
quantity and a UN/ECE Rec 20 unit: ``https://id.gs1.org/01/<gtin14>/10/<lot>`` when the product
has a GTIN, else the platform's lot address. Sites (``readPoint``, ``bizLocation``) and
organisations are named by ``<site>/id/site/<pk>`` and ``<site>/id/organization/<pk>``.
Business steps and dispositions are bare CBV 2.0 terms; production, which CBV has no step
for, is published as ``commissioning`` (the outputs are new lots), as GS1's own
TransformationEvent example does. Facts without a standard field (inspection results,
transfer discrepancies) go in the ``reproduce:`` extension namespace.

The document is produced as a stream of text chunks (:func:`stream`): events are read in
keyset-paginated chunks, so exporting millions of events holds one chunk in memory.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from reproduce.core.actor import Actor
from reproduce.inventory.models import (
    BizStep,
    EventType,
    Lot,
    LotRole,
    TraceEvent,
    TraceEventLot,
)
from reproduce.inventory.selectors import trace_down_ids, trace_up_ids
from reproduce.traceability.identifiers import (
    base_url,
    epc_class,
    namespace,
    organization_uri,
    site_uri,
)
from reproduce.traceability.selectors import sees_everything, visible_ids

GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
PREFIX = "reproduce"
CHUNK = 500
CBV_STEPS = {
    BizStep.RECEIVING: "receiving",
    BizStep.COMMISSIONING: "commissioning",
    BizStep.INSPECTING: "inspecting",
    BizStep.SHIPPING: "shipping",
    BizStep.PACKING: "packing",
    BizStep.DESTROYING: "destroying",
    BizStep.TRANSFORMING: "commissioning",
}
CBV_DISPOSITIONS = frozenset(
    {
        "active",
        "conformant",
        "non_conformant",
        "in_progress",
        "in_transit",
        "destroyed",
        "recalled",
        "available",
        "unavailable",
        "damaged",
        "disposed",
        "inactive",
        "returned",
    }
)


# ---------------------------------------------------------------- which events


def events_for(actor: Actor | None, *, lot: Lot | None = None) -> QuerySet[TraceEvent]:
    """Events an actor may export (``None``: the operator's command, everything), optionally
    only those of one lot's trace (the lot, everything upstream and downstream)."""
    if actor is None or sees_everything(actor):
        events = TraceEvent.objects.unscoped("EPCIS export of the whole network")
    else:
        events = TraceEvent.objects.visible_to(actor)
    if lot is not None:
        ids = trace_up_ids([lot.pk]) | trace_down_ids([lot.pk]) | {lot.pk}
        touching = TraceEventLot.objects.unscoped("events of a trace").filter(lot_id__in=ids)
        events = events.filter(Q(pk__in=touching.values("event_id")) | Q(parent_lot_id__in=ids))
    return events


def _chunks(events: QuerySet[TraceEvent], size: int) -> Iterator[list[TraceEvent]]:
    """Keyset pagination on the primary key: each chunk is one indexed range query."""
    lots = Prefetch(
        "lots",
        queryset=TraceEventLot.objects.unscoped("lots of exported events")
        .select_related("lot")
        .order_by("pk"),
    )
    base = events.select_related(
        "site__organization",
        "source_site__organization",
        "destination_site__organization",
        "work_order",
        "receipt",
        "transfer",
        "parent_lot",
    ).prefetch_related(lots)
    last = 0
    while True:
        batch = list(base.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


# ---------------------------------------------------------------- the document


def header(*, base: str | None = None, created: datetime | None = None) -> dict[str, Any]:
    return {
        "@context": [GS1_CONTEXT, {PREFIX: namespace(base)}],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _time(created or timezone.now()),
        "epcisBody": {"eventList": []},
    }


def stream(
    events: QuerySet[TraceEvent],
    *,
    actor: Actor | None = None,
    base: str | None = None,
    chunk: int = CHUNK,
    indent: int | None = None,
) -> Iterator[str]:
    """The EPCIS document as text chunks; with ``actor``, lots it may not see are left out
    of the events (an event left with nothing to say is dropped)."""
    marker = "__EVENTS__"
    doc = header(base=base)
    doc["epcisBody"]["eventList"] = marker
    opening, closing = _dumps(doc, indent).split(json.dumps(marker), 1)
    yield opening + "["
    first = True
    restrict = actor is not None and not sees_everything(actor)
    for batch in _chunks(events, chunk):
        keep = _visible_in(actor, batch) if restrict and actor is not None else None
        for event in batch:
            data = event_json(event, base=base, keep=keep)
            if data is None:
                continue
            yield ("" if first else ",") + "\n" + _dumps(data, None)
            first = False
    yield "\n]" + closing + "\n"


def document(
    events: QuerySet[TraceEvent], *, actor: Actor | None = None, base: str | None = None
) -> dict[str, Any]:
    """The whole document as a dict (for tests and small exports)."""
    return json.loads("".join(stream(events, actor=actor, base=base)))  # type: ignore[no-any-return]


def _visible_in(actor: Actor, batch: list[TraceEvent]) -> set[int]:
    ids = {entry.lot_id for event in batch for entry in event.lots.all()}
    ids |= {event.parent_lot_id for event in batch if event.parent_lot_id}
    return visible_ids(actor, ids)


def _dumps(data: Any, indent: int | None) -> str:
    return json.dumps(data, ensure_ascii=False, indent=indent, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, datetime):
        return _time(value)
    raise TypeError(f"cannot export {type(value).__name__}")


# ---------------------------------------------------------------- one event


def _time(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="milliseconds")


def _offset(moment: datetime) -> str:
    raw = timezone.localtime(moment).strftime("%z")  # +0200
    return f"{raw[:3]}:{raw[3:]}"


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(entry: TraceEventLot, base: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": epc_class(entry.lot.code, entry.lot.gtin, base)}
    if entry.quantity is not None:
        element["quantity"] = _number(entry.quantity)
        element["uom"] = entry.unit or entry.lot.unit
    return element


def _transactions(event: TraceEvent, base: str | None) -> list[dict[str, str]]:
    root = base_url(base)
    found = []
    if event.receipt is not None:
        found.append(
            {"type": "desadv", "bizTransaction": f"{root}/id/receipt/{event.receipt.reference}"}
        )
    if event.transfer is not None:
        found.append(
            {"type": "desadv", "bizTransaction": f"{root}/id/transfer/{event.transfer.reference}"}
        )
    if event.work_order is not None:
        found.append(
            {
                "type": "prodorder",
                "bizTransaction": f"{root}/id/work-order/{event.work_order.reference}",
            }
        )
    return found


def _parties(event: TraceEvent, base: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if event.source_site is not None:
        data["sourceList"] = [
            {
                "type": "owning_party",
                "source": organization_uri(event.source_site.organization_id, base),
            },
            {"type": "location", "source": site_uri(event.source_site_id, base)},  # type: ignore[arg-type]
        ]
    if event.destination_site is not None:
        data["destinationList"] = [
            {
                "type": "owning_party",
                "destination": organization_uri(event.destination_site.organization_id, base),
            },
            {"type": "location", "destination": site_uri(event.destination_site_id, base)},  # type: ignore[arg-type]
        ]
    return data


def _common(event: TraceEvent, base: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": event.type,
        "eventTime": _time(event.occurred_at),
        "eventTimeZoneOffset": _offset(event.occurred_at),
        "recordTime": _time(event.recorded_at),
        "eventID": f"urn:uuid:{event.event_id}",
    }
    return data


def _context(event: TraceEvent, base: str | None) -> dict[str, Any]:
    """bizStep, disposition, places and business documents (after the what)."""
    data: dict[str, Any] = {}
    step = CBV_STEPS.get(event.biz_step)  # type: ignore[call-overload]
    data["bizStep"] = step or f"{namespace(base)}bizstep-{event.biz_step}"
    if event.disposition in CBV_DISPOSITIONS:
        data["disposition"] = event.disposition
    data["readPoint"] = {"id": site_uri(event.site_id, base)}
    if event.biz_step != BizStep.SHIPPING:  # shipped goods are between places
        data["bizLocation"] = {"id": site_uri(event.site_id, base)}
    transactions = _transactions(event, base)
    if transactions:
        data["bizTransactionList"] = transactions
    data.update(_parties(event, base))
    if event.details:
        data[f"{PREFIX}:details"] = event.details
    return data


def _ilmd(entries: Iterable[TraceEventLot], base: str | None) -> dict[str, Any]:
    """Master data of lots that come into being: origin, collection source, composition."""
    lots = []
    for entry in entries:
        lot = entry.lot
        facts: dict[str, Any] = {
            "epcClass": epc_class(lot.code, lot.gtin, base),
            "lotNumber": lot.code,
            "origin": lot.origin,
        }
        for key, value in (
            ("supplier", lot.supplier),
            ("collectionSource", lot.collection_source),
            ("composition", lot.composition),
            ("grade", lot.grade),
            ("recycledShare", lot.recycled_share),
        ):
            if value not in ("", None, []):
                facts[key] = value
        lots.append(facts)
    return {f"{PREFIX}:lots": lots}


def event_json(
    event: TraceEvent, *, base: str | None = None, keep: set[int] | None = None
) -> dict[str, Any] | None:
    """One EPCIS event; None when nothing of it may be shown (``keep``: visible lot ids)."""
    entries = [e for e in event.lots.all() if keep is None or e.lot_id in keep]
    data = _common(event, base)
    if event.type == EventType.TRANSFORMATION:
        inputs = [_quantity(e, base) for e in entries if e.role == LotRole.INPUT]
        outputs = [_quantity(e, base) for e in entries if e.role == LotRole.OUTPUT]
        if not inputs and not outputs:
            return None
        if inputs:
            data["inputQuantityList"] = inputs
        if outputs:
            data["outputQuantityList"] = outputs
        data["transformationID"] = (
            f"{base_url(base)}/id/work-order/{event.work_order.reference}"
            if event.work_order is not None
            else f"urn:uuid:{event.event_id}"
        )
    elif event.type == EventType.AGGREGATION:
        children = [_quantity(e, base) for e in entries if e.role == LotRole.CHILD]
        parent = event.parent_lot
        if parent is None or not children or (keep is not None and parent.pk not in keep):
            return None
        data["parentID"] = epc_class(parent.code, parent.gtin, base)
        data["childQuantityList"] = children
        data["action"] = event.action or "ADD"
    else:
        objects = [e for e in entries if e.role == LotRole.OBJECT]
        if not objects:
            return None
        data["action"] = event.action or "OBSERVE"
        data["quantityList"] = [_quantity(e, base) for e in objects]
        if data["action"] == "ADD":
            data["ilmd"] = _ilmd(objects, base)
    data.update(_context(event, base))
    return data
