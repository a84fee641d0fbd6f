"""Shop-floor pages: my work today, the execution page and its forms, the progress polls."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reproduce.inventory import services as stock
from reproduce.orders import services as orders
from reproduce.orders.models import WorkOrderState
from reproduce.production import services
from reproduce.production.models import Consumption, Run, RunState

pytestmark = pytest.mark.django_db


def _url(name, *args):
    return reverse(f"production:{name}", args=args)


def test_my_work_today_lists_the_sites_work_with_big_buttons(shop, client_for):
    client = client_for(shop.world.x.operator)
    response = client.get(_url("today"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cut the plywood" in body and shop.wo.reference in body
    assert _url("start", shop.wo.pk) in body
    # another lab's operator does not see it
    other = client_for(shop.world.y.operator).get(_url("today")).content.decode()
    assert shop.wo.reference not in other


def test_my_work_today_runs_a_fixed_number_of_queries(shop, client_for):
    world = shop.world
    client = client_for(world.x.operator)
    client.get(_url("today"))
    with CaptureQueriesContext(connection) as few:
        client.get(_url("today"))
    for other in shop.others:
        orders.assign_work_order(
            actor=world.actor(world.coordinator), work_order=other, site=world.x.site, reason="t"
        )
    with CaptureQueriesContext(connection) as more:
        response = client.get(_url("today"))
    assert response.content.decode().count('class="work-card') == 4
    assert len(more) == len(few)


def test_running_work_comes_first(shop, client_for):
    world = shop.world
    pack = next(w for w in shop.others if w.name == "Pack")
    orders.assign_work_order(
        actor=world.actor(world.coordinator), work_order=pack, site=world.x.site, reason="t"
    )
    pack.refresh_from_db()
    services.start_work(actor=shop.operator, work_order=pack)
    body = client_for(world.x.operator).get(_url("today")).content.decode()
    assert body.index(pack.reference) < body.index(shop.wo.reference)


def test_the_operators_journey_through_the_forms(shop, client_for):
    client = client_for(shop.world.x.operator)
    wo = shop.wo
    page = client.get(_url("work", wo.pk))
    assert page.status_code == 200 and "Start the work" in page.content.decode()
    response = client.post(_url("start", wo.pk))
    assert response.status_code == 302
    page = client.get(_url("work", wo.pk)).content.decode()
    assert "Pause the work" in page and "Scan the QR code" in page and "jsQR.js" in page
    response = client.post(
        _url("consume", wo.pk),
        {"consume-code": "ply-001", "consume-quantity": "2,5", "consume-unit": ""},
    )
    assert response.status_code == 302
    assert stock.on_hand(shop.lot) == Decimal("7.5")
    response = client.post(
        _url("output", wo.pk),
        {"output-good": "2", "output-scrap": "1", "output-scrap_reason": "setup"},
    )
    assert response.status_code == 302
    response = client.post(_url("pause", wo.pk), {"pause-reason": "break"})
    assert response.status_code == 302
    assert Run.objects.unscoped("t").get(work_order=wo).state == RunState.PAUSED
    client.post(_url("resume", wo.pk))
    client.post(_url("add_time", wo.pk), {"time-minutes": "10"})
    page = client.get(_url("work", wo.pk)).content.decode()
    assert "Finish the work order" in page and 'value="2"' in page  # good quantity proposed
    item = services.default_output_item(wo)
    response = client.post(
        _url("finish", wo.pk),
        {
            "finish-item": item.pk,
            "finish-quantity": "2",
            "finish-unit": "",
            "finish-code": "CUT-42",
            "finish-location": shop.floor.pk,
        },
    )
    assert response.status_code == 302
    wo.refresh_from_db()
    assert wo.state == WorkOrderState.DONE
    page = client.get(_url("work", wo.pk)).content.decode()
    assert "CUT-42" in page and "PLY-001" in page


def test_a_scanned_label_url_is_read_as_its_lot_code(shop, client_for):
    client = client_for(shop.world.x.operator)
    services.start_work(actor=shop.operator, work_order=shop.wo)
    response = client.post(
        _url("consume", shop.wo.pk),
        {
            "consume-code": "https://reproduce.example/lot/PLY-001",
            "consume-quantity": "1",
            "consume-scanned": "on",
        },
    )
    assert response.status_code == 302
    assert Consumption.objects.unscoped("t").get().scanned is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"consume-code": "YPLY-01", "consume-quantity": "1"}, "No lot with this code."),
        ({"consume-code": "NOPE-404", "consume-quantity": "1"}, "No lot with this code."),
        ({"consume-code": "PLY-001", "consume-quantity": "50"}, "Not enough stock"),
        ({"consume-code": "PLY-001", "consume-quantity": "-2"}, "must be more than zero"),
        (
            {"consume-code": "PLY-001", "consume-quantity": "1", "consume-unit": "KGM"},
            "there is no conversion",
        ),
    ],
)
def test_bad_consumptions_show_on_the_form(shop, client_for, data, message):
    client = client_for(shop.world.x.operator)
    services.start_work(actor=shop.operator, work_order=shop.wo)
    response = client.post(_url("consume", shop.wo.pk), data)
    body = response.content.decode()
    assert response.status_code == 200 and message in body
    assert "YPLY" not in body.replace(data["consume-code"], "") or data["consume-code"] == "YPLY-01"
    assert not Consumption.objects.unscoped("t").exists()


def test_foreign_lot_page_reveals_nothing(shop, client_for):
    client = client_for(shop.world.x.operator)
    services.start_work(actor=shop.operator, work_order=shop.wo)
    body = client.post(
        _url("consume", shop.wo.pk), {"consume-code": "YPLY-01", "consume-quantity": "1"}
    ).content.decode()
    assert "Y plywood" not in body and "not yours" not in body


def test_scrap_without_reason_shows_on_the_form(shop, client_for):
    client = client_for(shop.world.x.operator)
    services.start_work(actor=shop.operator, work_order=shop.wo)
    response = client.post(_url("output", shop.wo.pk), {"output-good": "1", "output-scrap": "2"})
    assert response.status_code == 200
    assert "Say why the parts are scrapped." in response.content.decode()


def test_finish_before_start_is_a_clear_message(shop, client_for):
    client = client_for(shop.world.x.operator)
    response = client.post(_url("resume", shop.wo.pk), follow=True)
    assert "Start the work order first." in response.content.decode()


def test_photos_upload_and_show(shop, client_for):
    from conftest import _png_bytes

    client = client_for(shop.world.x.operator)
    upload = BytesIO(_png_bytes((10, 200, 10)))
    upload.name = "cut.png"
    response = client.post(
        _url("photo", shop.wo.pk), {"photo-photo": upload, "photo-caption": "Edge"}
    )
    assert response.status_code == 302
    page = client.get(_url("work", shop.wo.pk)).content.decode()
    assert "Edge" in page
    photo_id = shop.wo.photos.model.objects.unscoped("t").get().pk
    image = client.get(_url("photos", shop.wo.pk) + f"?photo={photo_id}")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert client.get(_url("photos", shop.wo.pk)).status_code == 200
    assert (
        client_for(shop.world.y.operator)
        .get(_url("photos", shop.wo.pk) + f"?photo={photo_id}")
        .status_code
        == 404
    )


def test_permissions(shop, client_for):
    world, wo = shop.world, shop.wo
    # another lab's operator: the work order does not exist for them
    for name in ("work", "photos", "work_progress"):
        assert client_for(world.y.operator).get(_url(name, wo.pk)).status_code == 404
    assert client_for(world.y.operator).post(_url("start", wo.pk)).status_code == 404
    # the coordinator sees it, cannot act
    coordinator = client_for(world.coordinator)
    page = coordinator.get(_url("work", wo.pk))
    assert page.status_code == 200 and "Start the work" not in page.content.decode()
    assert coordinator.post(_url("start", wo.pk)).status_code == 403
    assert not Run.objects.unscoped("t").exists()
    # the customer does not see work orders on their own (only through the order)
    assert client_for(world.buyer).get(_url("work", wo.pk)).status_code == 404
    assert client_for(world.buyer).get(_url("today")).status_code == 200


def test_order_progress_polls_with_etag(shop, client_for):
    client = client_for(shop.world.buyer)
    url = _url("order_progress", shop.order.pk)
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and "Cut the plywood" in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert len(queries) <= 6  # session, user, memberships, order, the etag query
    services.start_work(actor=shop.operator, work_order=shop.wo)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Running" in changed.content.decode()
    services.record_output(actor=shop.operator, work_order=shop.wo, good=1)
    assert client.get(url, headers={"If-None-Match": changed["ETag"]}).status_code == 200
    assert client_for(shop.world.other_buyer).get(url).status_code == 404


def test_the_order_page_shows_live_progress(shop, client_for):
    services.start_work(actor=shop.operator, work_order=shop.wo)
    services.record_output(actor=shop.operator, work_order=shop.wo, good=1)
    body = (
        client_for(shop.world.buyer)
        .get(reverse("orders:detail", args=[shop.order.pk]))
        .content.decode()
    )
    assert "Live progress on the shop floor" in body
    assert "data-poll-url" in body and "1 / 2 good" in body and "Running" in body
    assert 'aria-valuenow="50"' in body


def test_the_work_order_and_plan_pages_show_live_progress(shop, client_for):
    services.start_work(actor=shop.operator, work_order=shop.wo)
    coordinator = client_for(shop.world.coordinator)
    body = coordinator.get(reverse("orders:work_order", args=[shop.wo.pk])).content.decode()
    assert "Live progress on the shop floor" in body
    from django.utils import timezone

    from reproduce.planning.models import PlanRun, PlanState

    PlanRun.objects.create(
        state=PlanState.DONE, is_published=True, origin=timezone.now(), reason="test"
    )
    body = coordinator.get(reverse("planning:plan")).content.decode()
    assert "On the shop floor now" in body and shop.wo.reference in body
    floor = coordinator.get(_url("floor_progress"))
    assert floor.status_code == 200
    assert (
        coordinator.get(
            _url("floor_progress"), headers={"If-None-Match": floor["ETag"]}
        ).status_code
        == 304
    )
    assert client_for(shop.world.x.operator).get(_url("floor_progress")).status_code == 403
