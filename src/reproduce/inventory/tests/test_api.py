"""The stock REST API as a client sees it: receiving, moving, scrapping, reserving,
transfers, who sees what, the refusals and their codes, idempotent creation."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from reproduce.inventory import services
from reproduce.inventory.models import Lot, Receipt, StockEntry, TransferLine
from reproduce.inventory.tests.test_services import accepted_work_order, make_stock

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _post(client: Client, url: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(url, json.dumps(data or {}), content_type=JSON, headers=headers)


def _receipt(s: Any, **line: Any) -> dict[str, Any]:
    return {
        "location_id": s.store.pk,
        "supplier": "Les Petits Riens",
        "delivery_note": "BL-2026-114",
        "lines": [
            {
                "item_id": s.waste.pk,
                "quantity": "25.5",
                "origin": "secondary",
                "collection_source": "Anderlecht container park",
                "composition": [{"material": "flax", "share": "55"}],
                "contaminant_checks": [{"check": "metal", "result": "pass"}],
                "grade": "A",
                **line,
            }
        ],
    }


def test_receiving_creates_lots_on_the_ledger_once_per_idempotency_key(world, client_for):
    s = make_stock(world)
    client = client_for(world.x.operator)
    first = _post(client, "/api/v1/receipts", _receipt(s), **{"Idempotency-Key": "bl-114"})
    assert first.status_code == 201, first.content
    body = first.json()
    lot = body["lots"][0]
    assert (lot["on_hand"], lot["unit"], lot["status"], lot["recycled_share"]) == (
        "25.5",
        "KGM",
        "available",
        "100.00",
    )
    again = _post(client, "/api/v1/receipts", _receipt(s), **{"Idempotency-Key": "bl-114"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == body["reference"]
    assert Receipt.objects.unscoped("test").count() == 2  # the fixture's and this one


@pytest.mark.parametrize(
    ("line", "status", "code"),
    [
        ({"quantity": "-3"}, 422, "invalid_quantity"),
        ({"quantity": "0"}, 422, "invalid_quantity"),
        ({"code": "LPR-001"}, 422, "lot_code_taken"),
        ({"gtin": "5412345678901"}, 422, "invalid_gtin"),
    ],
)
def test_receiving_refuses_bad_lines_and_writes_nothing(world, client_for, line, status, code):
    s = make_stock(world)
    before = StockEntry.objects.unscoped("test").count()
    response = _post(client_for(world.x.operator), "/api/v1/receipts", _receipt(s, **line))
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert StockEntry.objects.unscoped("test").count() == before


def test_a_foreign_lot_answers_404_and_reveals_nothing(world, client_for):
    s = make_stock(world)
    other = client_for(world.y.manager)
    for url in (f"/api/v1/lots/{s.lot.code}", f"/api/v1/lots/{s.lot.code}/entries"):
        response = other.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert "Petits" not in response.content.decode()
    scrap = _post(
        other,
        f"/api/v1/lots/{s.lot.code}/scrap",
        {"location_id": s.store.pk, "quantity": "1", "reason": "x"},
    )
    assert scrap.status_code == 404
    assert other.get("/api/v1/lots").json()["count"] == 0
    own = client_for(world.x.operator)
    detail = own.get(f"/api/v1/lots/{s.lot.code}").json()
    assert detail["where"][0]["location"]["code"] == "A1"
    assert detail["composition"][0]["material"] == "flax"


def test_scrapping_more_than_on_hand_is_409_and_a_foreign_unit_is_422(world, client_for):
    s = make_stock(world)
    client = client_for(world.x.operator)
    url = f"/api/v1/lots/{s.lot.code}/scrap"
    too_much = _post(client, url, {"location_id": s.store.pk, "quantity": "13", "reason": "x"})
    assert (too_much.status_code, too_much.json()["code"]) == (409, "insufficient_stock")
    pieces = _post(
        client, url, {"location_id": s.store.pk, "quantity": "2", "unit": "C62", "reason": "x"}
    )
    assert (pieces.status_code, pieces.json()["code"]) == (422, "unit_mismatch")
    grams = _post(
        client, url, {"location_id": s.store.pk, "quantity": "500", "unit": "GRM", "reason": "x"}
    )
    assert grams.status_code == 201
    assert (grams.json()["quantity"], grams.json()["kind"]) == ("-0.5", "scrap")
    entries = client.get(f"/api/v1/lots/{s.lot.code}/entries").json()
    assert [e["kind"] for e in entries["items"]] == ["scrap", "receipt"]


def test_moves_stay_inside_a_site(world, client_for):
    s = make_stock(world)
    client = client_for(world.x.operator)
    moved = _post(
        client,
        f"/api/v1/lots/{s.lot.code}/moves",
        {"from_location_id": s.store.pk, "to_location_id": s.floor.pk, "quantity": "4"},
    )
    assert moved.status_code == 201, moved.content
    where = {w["location"]["code"]: w["quantity"] for w in moved.json()["where"]}
    assert where == {"A1": "8", "FLOOR": "4"}
    y_store = services.create_location(
        actor=world.actor(world.y.manager), site=world.y.site, code="B1", name="B1"
    )
    across = _post(
        client,
        f"/api/v1/lots/{s.lot.code}/moves",
        {"from_location_id": s.store.pk, "to_location_id": y_store.pk, "quantity": "1"},
    )
    assert across.status_code == 422


def test_only_managers_correct_the_stock(world, client_for):
    s = make_stock(world)
    data = {"location_id": s.store.pk, "quantity": "-2", "reason": "yearly count"}
    url = f"/api/v1/lots/{s.lot.code}/adjustments"
    assert _post(client_for(world.x.operator), url, data).status_code == 403
    done = _post(client_for(world.x.manager), url, data)
    assert done.status_code == 201 and done.json()["quantity"] == "-2"


def test_reserving_and_releasing(world, client_for):
    s = make_stock(world)
    work = accepted_work_order(world, world.x)
    client = client_for(world.x.operator)
    url = f"/api/v1/lots/{s.lot.code}/reservations"
    made = _post(
        client, url, {"location_id": s.store.pk, "work_order_id": work.pk, "quantity": "10"}
    )
    assert made.status_code == 201, made.content
    assert made.json()["work_order"]["reference"] == work.reference
    more = _post(
        client, url, {"location_id": s.store.pk, "work_order_id": work.pk, "quantity": "3"}
    )
    assert (more.status_code, more.json()["code"]) == (409, "insufficient_stock")
    released = _post(client, f"/api/v1/reservations/{made.json()['id']}/release")
    assert released.json()["state"] == "released"
    again = _post(client, f"/api/v1/reservations/{made.json()['id']}/release")
    assert (again.status_code, again.json()["code"]) == (409, "concurrent_change")


def test_inspection_blocks_a_failed_lot(world, client_for):
    s = make_stock(world)
    response = _post(
        client_for(world.x.operator),
        f"/api/v1/lots/{s.lot.code}/inspections",
        {"checks": [{"check": "moisture", "result": "fail", "note": "wet"}], "grade": "C"},
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["grade"]) == ("blocked", "C")


def test_a_transfer_is_shipped_received_once_with_a_discrepancy(world, client_for):
    s = make_stock(world)
    dock = services.create_location(
        actor=world.actor(world.y.manager), site=world.y.site, code="DOCK", name="Dock"
    )
    shipped = _post(
        client_for(world.x.operator),
        "/api/v1/transfers",
        {
            "from_location_id": s.store.pk,
            "to_site_id": world.y.site.pk,
            "lines": [{"lot": s.lot.code, "quantity": "5"}],
            "carrier": "cargo bike",
        },
        **{"Idempotency-Key": "ship-1"},
    )
    assert shipped.status_code == 201, shipped.content
    transfer = shipped.json()
    assert transfer["state"] == "shipped"
    line = transfer["lines"][0]["id"]
    receiver = client_for(world.y.operator)
    assert receiver.get("/api/v1/transfers?direction=incoming").json()["count"] == 1
    url = f"/api/v1/transfers/{transfer['id']}/receive"
    body = {
        "location_id": dock.pk,
        "lines": [{"line_id": line, "received_quantity": "4.8", "discrepancy": "Wet bag"}],
    }
    received = _post(receiver, url, body)
    assert received.status_code == 200, received.content
    assert received.json()["lines"][0]["discrepancy"] == "Wet bag"
    twice = _post(receiver, url, body)
    assert (twice.status_code, twice.json()["code"]) == (409, "already_received")
    assert TransferLine.objects.unscoped("test").get(pk=line).received_quantity == Decimal("4.8")
    sender_tries = _post(client_for(world.x.manager), url, body)
    assert sender_tries.status_code in (403, 409)


def test_a_site_stock_shows_own_sites_fully_and_others_only_for_shared_lots(world, client_for):
    s = make_stock(world)
    own = client_for(world.x.operator).get(f"/api/v1/sites/{world.x.site.pk}/stock").json()
    assert [(r["lot"], r["quantity"]) for r in own["items"]] == [("LPR-001", "12")]
    other = client_for(world.y.manager).get(f"/api/v1/sites/{world.x.site.pk}/stock")
    assert other.status_code == 200 and other.json()["count"] == 0
    assert Lot.objects.unscoped("test").filter(code=s.lot.code).exists()


def test_locations_and_pools(world, client_for):
    make_stock(world)
    manager = client_for(world.x.manager)
    created = _post(
        manager,
        "/api/v1/locations",
        {"site_id": world.x.site.pk, "code": "BIGBAG-1", "name": "Big bag", "kind": "storage"},
    )
    assert created.status_code == 201
    duplicate = _post(
        manager, "/api/v1/locations", {"site_id": world.x.site.pk, "code": "A1", "name": "Again"}
    )
    assert duplicate.status_code == 422
    foreign_site = _post(
        manager, "/api/v1/locations", {"site_id": world.y.site.pk, "code": "Z", "name": "Z"}
    )
    assert foreign_site.status_code == 422
    assert (
        _post(
            client_for(world.x.operator),
            "/api/v1/locations",
            {"site_id": world.x.site.pk, "code": "NOPE", "name": "No"},
        ).status_code
        == 403
    )
    codes = [loc["code"] for loc in manager.get("/api/v1/locations").json()["items"]]
    assert codes == ["A1", "BIGBAG-1", "FLOOR", "Q"]
    services.create_pool(
        actor=world.actor(world.y.manager),
        custodian=world.y.org,
        name="Pulp",
        members=[world.x.org],
    )
    pools = manager.get("/api/v1/pools").json()["items"]
    assert [p["name"] for p in pools] == ["Pulp"]
    assert {m["name"] for m in pools[0]["members"]} == {world.x.org.name, world.y.org.name}


def test_the_stock_operations_are_documented(client):
    schema = client.get("/api/v1/openapi.json").json()
    ops = [
        op
        for path, item in schema["paths"].items()
        for op in item.values()
        if "stock" in op.get("tags", [])
    ]
    assert len(ops) >= 17
    assert all(op.get("summary") and op.get("description") for op in ops)
