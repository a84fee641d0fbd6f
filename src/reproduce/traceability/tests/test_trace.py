"""Trace pages and trees: each lot once, hidden lots anonymised, bounded queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reproduce.designs.models import Item
from reproduce.inventory import services as stock
from reproduce.inventory.models import Lot
from reproduce.inventory.services import LotInput, Output
from reproduce.traceability import selectors
from reproduce.traceability.selectors import Node

pytestmark = pytest.mark.django_db


def _diamond(world: Any, prefix: str = "D", width: int = 2) -> dict[str, Lot]:
    """A → B1..Bn → C → E: every B is made from A, C from every B (fan-out, then fan-in)."""
    lab = world.x
    actor = world.actor(lab.manager)
    location = stock.create_location(actor=actor, site=lab.site, code=f"{prefix}-LOC", name="Floor")
    item = Item.objects.create(
        organization=lab.org, kind="material", name="Fibre", default_unit="KGM"
    )
    a = stock.receive(
        actor=actor,
        location=location,
        supplier="Collector",
        lines=[LotInput(item=item, quantity=Decimal(10), code=f"{prefix}-A", origin="secondary")],
    ).lots.get()

    def make(code: str, inputs: list[Lot]) -> Lot:
        out = Output(item=item, quantity=Decimal(1), code=code)
        return stock.produce(
            actor=actor,
            site=lab.site,
            location=location,
            outputs=[out],
            inputs=[(i, Decimal(1)) for i in inputs],
        )[0]

    bs = [make(f"{prefix}-B{i}", [a]) for i in range(width)]
    c = make(f"{prefix}-C", bs)
    e = make(f"{prefix}-E", [c])
    return {"a": a, "c": c, "e": e, **{f"b{i}": b for i, b in enumerate(bs)}}


def _codes(nodes: list[Node]) -> list[str]:
    found = []
    for node in nodes:
        found.append(node.lot.code if node.lot else "?")
        found += _codes(node.children)
    return found


def test_a_diamond_genealogy_shows_each_lot_once(world):
    lots = _diamond(world)
    found = selectors.trace(world.actor(world.x.manager), lots["a"])
    down = _codes(found.down)
    assert sorted(down) == ["D-B0", "D-B1", "D-C", "D-E"]
    assert found.down_count == 4 and not found.truncated
    c = found.nodes[lots["c"].pk]
    assert c.depth == 2 and c.also == ["D-B1"]  # hangs under B0, also made from B1
    up = selectors.trace(world.actor(world.x.manager), lots["e"])
    assert sorted(_codes(up.up)) == ["D-A", "D-B0", "D-B1", "D-C"]
    assert up.down == []


def test_a_large_fan_is_cut_at_the_limit(world):
    lots = _diamond(world, width=6)
    found = selectors.trace(world.actor(world.x.manager), lots["a"], limit=3)
    assert found.truncated
    assert found.down_count == 8
    assert len(set(_codes(found.down))) == len(_codes(found.down))


def test_the_trace_page_hides_lots_of_other_organisations(chain, world, client_for):
    response = client_for(world.x.manager).get(reverse("traceability:trace", args=["PULP-001"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "FIBRE-001" in body and "WASTE-001" in body
    assert "SHEETS-001" not in body and "BOX-001" not in body
    assert "A lot of another organisation" in body
    # the custodian's site of the sheets is not named either
    assert world.y.site.name not in body.split("Where it went")[1].split("History")[0]


def test_the_coordinator_traces_everything(chain, world, client_for):
    response = client_for(world.coordinator).get(reverse("traceability:trace", args=["WASTE-001"]))
    body = response.content.decode()
    assert all(code in body for code in ("FIBRE-001", "PULP-001", "SHEETS-001", "BOX-001"))
    assert reverse("traceability:recall_network", args=["WASTE-001"]) in body


def test_a_foreign_lot_answers_404(chain, world, client_for):
    client = client_for(world.z.manager)
    assert client.get(reverse("traceability:trace", args=["PULP-001"])).status_code == 404
    assert client.get(reverse("traceability:trace", args=["NO-SUCH"])).status_code == 404


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_trace_page_needs_the_same_queries_for_a_bigger_genealogy(world, client_for):
    small = _diamond(world, "S", width=2)
    big = _diamond(world, "L", width=12)
    for user in (world.x.manager, world.coordinator):
        client = client_for(user)
        client.get(reverse("traceability:trace", args=["S-A"]))  # warm the session
        few = _queries(client, reverse("traceability:trace", args=[small["a"].code]))
        many = _queries(client, reverse("traceability:trace", args=[big["a"].code]))
        assert many == few
        assert few <= 20


def test_search_goes_to_the_trace_or_says_it_found_nothing(chain, world, client_for):
    client = client_for(world.x.operator)
    url = reverse("traceability:search")
    response = client.get(url, {"code": "pulp-001"})
    assert response.status_code == 302
    assert response["Location"] == reverse("traceability:trace", args=["PULP-001"])
    scanned = client.get(url, {"code": "https://example.org/lot/FIBRE-001"})
    assert scanned["Location"] == reverse("traceability:trace", args=["FIBRE-001"])
    partial = client.get(url, {"code": "PUL"})
    assert partial.status_code == 200 and "PULP-001" in partial.content.decode()
    foreign = client.get(url, {"code": "SHEETS-001"})
    assert foreign.status_code == 200
    assert "No lot with this code that you may see." in foreign.content.decode()
    assert client_for(None).get(url).status_code == 302
