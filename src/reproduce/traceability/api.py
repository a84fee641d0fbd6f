"""REST API of traceability: trace graphs, recall lists, lot passports, EPCIS 2.0 export.

Who may do what follows the pages (see ``views.py``): a trace for whoever may see the lot
(hidden lots of the genealogy are anonymised), the recall list for the owner's managers
(``/lots/{code}/recall``) or a network coordinator (``/network/lots/{code}/recall``), the
passport for anyone when it is public (404 otherwise, whether the lot is private or unknown),
EPCIS events of the lots the caller may see (coordinators: every event).
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest, StreamingHttpResponse
from ninja import Query, Router

from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ErrorOut
from reproduce.core.actor import Actor
from reproduce.core.permissions import access, require
from reproduce.inventory.models import Lot
from reproduce.traceability import epcis, passports, selectors
from reproduce.traceability.lookups import owned_lot, visible_lot
from reproduce.traceability.schemas import EpcisQuery, PassportOut, RecallOut, TraceOut

router = Router(tags=["traceability"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut}
API_MAX_NODES = 5000


# ---------------------------------------------------------------- trace


def _node(found: selectors.Trace, names: dict[int, str], pk: int) -> dict[str, Any]:
    node = found.nodes[pk]
    data: dict[str, Any] = {"id": names[pk], "visible": node.visible, "depth": node.depth}
    lot = node.lot
    if node.visible and lot is not None:
        data.update(
            code=lot.code,
            item=lot.item.name,
            made=node.made,
            on_hand=node.on_hand,
            unit=lot.unit,
            origin=lot.origin,
            status=lot.status,
            site=node.site_name or None,
            owner=lot.owner.name,
        )
    return data


@router.get(
    "/lots/{code}/trace",
    response={200: TraceOut, **ERRORS},
    summary="Trace a lot up (its inputs) or down (what was made from it)",
)
@access("member", object="code", model="inventory.Lot")
def lot_trace(
    request: HttpRequest, code: str, direction: Literal["up", "down"] = "down"
) -> dict[str, Any]:
    """The genealogy as a graph: each lot once (breadth first, at its shortest distance),
    with the edges between them. Lots of organisations you may not see keep their place in
    the graph as ``hidden-<n>`` nodes without any detail. At most 5000 lots per answer
    (``truncated``)."""
    actor = require_authenticated(request)
    lot = visible_lot(actor, code)
    up = direction == "up"
    found = selectors.trace(actor, lot, limit=API_MAX_NODES, up=up, down=not up)
    names = selectors.aliases(found)
    order = sorted(found.nodes, key=lambda pk: (found.nodes[pk].depth, names[pk]))
    return {
        "lot": lot.code,
        "direction": direction,
        "count": found.up_count if up else found.down_count,
        "truncated": found.truncated,
        "nodes": [_node(found, names, pk) for pk in order],
        "edges": [{"parent": names[p], "child": names[c]} for p, c in found.edges],
    }


# ---------------------------------------------------------------- recall


def _recall(actor: Actor, lot: Lot) -> dict[str, Any]:
    found = selectors.recall(actor, lot)
    return {
        "lot": lot.code,
        "reached": found.reached,
        "hidden": found.hidden,
        "shipped_to": found.destinations,
        "customers": [
            {"name": c.name, "orders": c.orders, "lots": c.lots} for c in found.customers
        ],
        "affected": [
            {
                "code": line.lot.code,
                "item": line.lot.item.name,
                "status": line.lot.status,
                "unit": line.lot.unit,
                "on_hand": line.on_hand,
                "places": [
                    {
                        "site": p.site_name or None,
                        "location": p.location or None,
                        "quantity": p.quantity,
                    }
                    for p in line.places
                ],
                "owner": line.lot.owner.name,
                "custodian": line.lot.custodian.name,
                "work_order": line.work_order or None,
                "order": line.order or None,
                "customer": line.customer or None,
                "shipped_to": line.shipped_to,
            }
            for line in found.lines
            if line.lot is not None
        ],
    }


@router.get(
    "/lots/{code}/recall",
    response={200: RecallOut, **ERRORS},
    summary="Recall list of a lot (its owner's managers)",
)
@access("member", perm="stock.manage", object="code", model="inventory.Lot")
def lot_recall(request: HttpRequest, code: str) -> dict[str, Any]:
    """Finished lots made (directly or not) from this lot — nothing was made from them, or
    they are a design's product — with where they are on hand, the customers of the orders
    that made them and the organisations they were shipped to. For the managers of the lot's
    owner (``stock.manage``); network coordinators use ``/network/lots/{code}/recall``."""
    actor = require_authenticated(request)
    return _recall(actor, owned_lot(actor, code, "stock.manage"))


@router.get(
    "/network/lots/{code}/recall",
    response={200: RecallOut, **ERRORS},
    summary="Recall list of any lot (network coordinators)",
)
@access("network", perm="trace.network", object="code", model="inventory.Lot")
def network_lot_recall(request: HttpRequest, code: str) -> dict[str, Any]:
    """The recall list of ``/lots/{code}/recall`` for a network coordinator (``trace.network``),
    whoever owns the lot."""
    actor = require_authenticated(request)
    lot = visible_lot(actor, code)  # a missing lot is 404 for everyone
    require(actor, "trace.network")
    return _recall(actor, lot)


# ---------------------------------------------------------------- passport


@router.get(
    "/passports/{lot_code}",
    response={200: PassportOut, 404: ErrorOut},
    summary="Public passport of a lot (no authentication needed)",
    url_name="passport",
)
@access("public", object="lot_code", model="inventory.Lot")
def lot_passport(request: HttpRequest, lot_code: str) -> dict[str, Any]:
    """The lot's product passport, shaped after the EU Digital Product Passport for textiles
    (ESPR): product identification, responsible organisation, design and licence, materials
    and their origin, recycled content, producing workshops, care, repair and end of life.

    Only the parts its owner made public are filled in (``published_parts``); the others are
    ``null``. A published part without data has ``known: false`` and is listed in
    ``missing``. Every client gets 404 when the passport is not public — whether the lot
    is private or does not exist (its owner too: the owner previews it on the passport
    settings page)."""
    lot = passports.find_lot(lot_code)
    granted = passports.public_access(lot) if lot is not None else None
    if lot is None or granted is None:
        raise Http404
    return passports.build(lot, granted)


# ---------------------------------------------------------------- EPCIS


@router.get(
    "/epcis/events",
    response={200: dict, **ERRORS},
    summary="Traceability events as a GS1 EPCIS 2.0 JSON-LD document",
    openapi_extra={
        "responses": {
            200: {
                "description": (
                    "An EPCISDocument (schemaVersion 2.0) whose eventList holds ObjectEvent "
                    "(receiving, commissioning, inspecting, shipping), TransformationEvent "
                    "(production) and AggregationEvent (packing) events; it validates against "
                    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-json-schema.json"
                ),
                "content": {"application/ld+json": {"schema": {"type": "object"}}},
            }
        }
    },
)
@access("authenticated")
def epcis_events(request: HttpRequest, filters: Query[EpcisQuery]) -> StreamingHttpResponse:
    """Events of your organisations, keeping only the lots you may see (network coordinators:
    every event). ``lot=CODE`` narrows them to the events of that lot's trace: the lot,
    everything it was made from and everything made from it (404 if you may not see it).
    The document is streamed: large exports do not time out."""
    actor = require_authenticated(request)
    lot = visible_lot(actor, filters.lot) if filters.lot else None
    events = epcis.events_for(actor, lot=lot)
    response = StreamingHttpResponse(
        epcis.stream(events, actor=actor), content_type="application/ld+json; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="epcis-events.jsonld"'
    return response
