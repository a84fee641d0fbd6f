"""The shop-floor API: the operator's calls, their refusals and the progress poll."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from reproduce.inventory import services as stock
from reproduce.orders.models import WorkOrderState
from reproduce.production import services
from reproduce.production.models import Run

pytestmark = pytest.mark.django_db


def _post(client, path, data=None):
    return client.post(
        f"/api/v1{path}", data=json.dumps(data or {}), content_type="application/json"
    )


def test_the_operator_journey(shop, client_for):
    client = client_for(shop.world.x.operator)
    wo = shop.wo
    mine = client.get("/api/v1/work/today").json()
    assert [w["reference"] for w in mine] == [wo.reference]
    started = _post(client, f"/work-orders/{wo.pk}/start")
    assert started.status_code == 200 and started.json()["run"]["state"] == "running"
    used = _post(
        client,
        f"/work-orders/{wo.pk}/consumptions",
        {"lot_code": "PLY-001", "quantity": "3", "scanned": True},
    )
    assert used.status_code == 201, used.content
    assert used.json()["location"] == "A1" and used.json()["scanned"] is True
    made = _post(
        client,
        f"/work-orders/{wo.pk}/output",
        {"good": "2", "scrap": "1", "scrap_reason": "tolerance"},
    )
    assert made.status_code == 201
    paused = _post(client, f"/work-orders/{wo.pk}/pause", {"reason": "machine"})
    assert paused.json()["run"]["state"] == "paused"
    assert _post(client, f"/work-orders/{wo.pk}/resume").status_code == 200
    assert (
        _post(client, f"/work-orders/{wo.pk}/time", {"minutes": 20}).json()["run"]["extra_minutes"]
        == 20
    )
    done = _post(client, f"/work-orders/{wo.pk}/finish", {"location_id": shop.floor.pk})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["work_order"]["state"] == "done" and len(body["lots_made"]) == 1
    run = client.get(f"/api/v1/work-orders/{wo.pk}/run").json()
    assert run["consumptions"][0]["lot_code"] == "PLY-001"
    assert run["lots_made"][0]["code"] == body["lots_made"][0]["code"]
    assert stock.on_hand(shop.lot) == Decimal(7)


def test_state_conflicts_answer_409(shop, client_for):
    client = client_for(shop.world.x.operator)
    wo = shop.wo
    response = _post(client, f"/work-orders/{wo.pk}/finish", {})
    assert (response.status_code, response.json()["code"]) == (409, "not_started")
    _post(client, f"/work-orders/{wo.pk}/start")
    response = _post(client, f"/work-orders/{wo.pk}/start")
    assert (response.status_code, response.json()["code"]) == (409, "already_running")
    response = _post(
        client, f"/work-orders/{wo.pk}/consumptions", {"lot_code": "PLY-001", "quantity": "99"}
    )
    assert (response.status_code, response.json()["code"]) == (409, "insufficient_stock")


@pytest.mark.parametrize(
    ("path", "data", "code"),
    [
        ("consumptions", {"lot_code": "PLY-001", "quantity": "-1"}, "invalid_quantity"),
        ("consumptions", {"lot_code": "PLY-001", "quantity": "1", "unit": "KGM"}, "unit_mismatch"),
        ("output", {"good": "1", "scrap": "1"}, "reason_required"),
        ("output", {"good": "-1"}, "invalid_quantity"),
        ("time", {"minutes": 0}, "invalid_minutes"),
    ],
)
def test_bad_values_answer_422(shop, client_for, path, data, code):
    client = client_for(shop.world.x.operator)
    _post(client, f"/work-orders/{shop.wo.pk}/start")
    response = _post(client, f"/work-orders/{shop.wo.pk}/{path}", data)
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_a_foreign_lot_code_is_not_found(shop, client_for):
    client = client_for(shop.world.x.operator)
    _post(client, f"/work-orders/{shop.wo.pk}/start")
    for code in ("YPLY-01", "NOPE-1"):
        response = _post(
            client, f"/work-orders/{shop.wo.pk}/consumptions", {"lot_code": code, "quantity": "1"}
        )
        assert response.status_code == 404 and "Y plywood" not in response.content.decode()


def test_permissions(shop, client_for):
    world, wo = shop.world, shop.wo
    outsider = client_for(world.y.operator)
    assert outsider.get(f"/api/v1/work-orders/{wo.pk}/run").status_code == 404
    assert _post(outsider, f"/work-orders/{wo.pk}/start").status_code == 404
    coordinator = client_for(world.coordinator)
    assert coordinator.get(f"/api/v1/work-orders/{wo.pk}/run").status_code == 200
    assert _post(coordinator, f"/work-orders/{wo.pk}/start").status_code == 403
    assert client_for(None).get("/api/v1/work/today").status_code == 401
    assert not Run.objects.unscoped("t").exists()
    wo.refresh_from_db()
    assert wo.state == WorkOrderState.ACCEPTED


def test_progress_answers_304_while_unchanged(shop, client_for):
    client = client_for(shop.world.buyer)
    url = f"/api/v1/orders/{shop.order.pk}/progress"
    first = client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert first.json()["etag"] == etag and len(first.json()["work_orders"]) == 4
    same = client.get(url, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    services.start_work(actor=shop.operator, work_order=shop.wo)
    moved = client.get(url, headers={"If-None-Match": etag})
    assert moved.status_code == 200
    row = next(r for r in moved.json()["work_orders"] if r["id"] == shop.wo.pk)
    assert row["activity"] == "running"
    assert client_for(shop.world.other_buyer).get(url).status_code == 404


def test_photo_upload(shop, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from conftest import _png_bytes

    client = client_for(shop.world.x.operator)
    response = client.post(
        f"/api/v1/work-orders/{shop.wo.pk}/photos",
        {"photo": SimpleUploadedFile("a.png", _png_bytes((1, 2, 3))), "caption": "Jig"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["caption"] == "Jig"
    bad = client.post(
        f"/api/v1/work-orders/{shop.wo.pk}/photos",
        {"photo": SimpleUploadedFile("a.txt", b"just text")},
    )
    assert bad.status_code in (415, 422)
