"""Stock pages: what each role sees and may do, forms that keep what was typed, idempotent
creation, bounded queries."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reproduce.designs.models import Item
from reproduce.files.tests.samples import pdf_bytes, stl_bytes
from reproduce.inventory import services
from reproduce.inventory.models import (
    ItemConversion,
    Location,
    Lot,
    LotStatus,
    Receipt,
    Reservation,
    StockPool,
    Transfer,
    TransferLine,
)
from reproduce.inventory.services import LotInput
from reproduce.inventory.tests.test_services import accepted_work_order, ledger, make_stock

pytestmark = pytest.mark.django_db


def _viewer(world: Any) -> Any:
    from reproduce.accounts.models import Membership, User

    user = User.objects.create_user(email="viewer@labx.test", password="pw-Test-12345")
    Membership.objects.unscoped("test").create(user=user, organization=world.x.org, role="viewer")
    return user


def _html(response: Any) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:2000])
    return response.content.decode()


def _token(html: str) -> str:
    return re.search(r'name="form_token" value="([0-9a-f]{32})"', html).group(1)  # type: ignore[union-attr]


def _line(i: int = 0, **values: Any) -> dict[str, Any]:
    return {f"line-{i}-{k}": v for k, v in values.items()}


def _receive_data(s: Any, token: str, **line: Any) -> dict[str, Any]:
    data = {
        "location": s.store.pk,
        "supplier": "Les Petits Riens",
        "delivery_note": "BL-77",
        "form_token": token,
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-MIN_NUM_FORMS": "1",
        "line-MAX_NUM_FORMS": "20",
    }
    data.update(_line(0, **{"origin": "secondary", "quantity": "30", **line}))
    return data


# ---------------------------------------------------------------- who sees what


def test_the_stock_home_shows_my_stock_only(world, client_for):
    s = make_stock(world)
    html = _html(client_for(world.x.operator).get(reverse("inventory:home")))
    assert "LPR-001" in html and "Flax/cotton waste" in html and "12 kg" in html
    assert "Receive a delivery" in html
    other = _html(client_for(world.y.manager).get(reverse("inventory:home")))
    assert "LPR-001" not in other and "No stock yet" in other
    assert client_for(world.coordinator).get(reverse("inventory:home")).status_code == 403
    assert client_for(None).get(reverse("inventory:home")).status_code == 302
    blocked = _html(client_for(world.x.operator).get(reverse("inventory:home") + "?status=blocked"))
    assert "LPR-001" not in blocked and "No stock matches" in blocked
    assert ledger(s.lot) == 12


def test_the_stock_home_queries_are_bounded(world, client_for, django_assert_max_num_queries):
    s = make_stock(world)
    services.receive(
        actor=s.actor,
        location=s.floor,
        supplier="Batch",
        lines=[LotInput(item=s.waste, quantity=Decimal(i + 1)) for i in range(15)],
    )
    client = client_for(world.x.manager)
    client.get(reverse("inventory:home"))
    with django_assert_max_num_queries(14):
        html = _html(client.get(reverse("inventory:home")))
    assert html.count('href="/en/stock/lots/') + html.count("/stock/lots/") >= 16
    for name in ("inventory:locations", "inventory:transfers", "inventory:pools"):
        client.get(reverse(name))
        with django_assert_max_num_queries(10):
            _html(client.get(reverse(name)))
    with django_assert_max_num_queries(16):
        _html(client.get(reverse("inventory:lot", args=[s.lot.code])))


def test_a_lot_page_shows_its_facts_and_a_foreign_lot_is_not_found(world, client_for):
    s = make_stock(world)
    html = _html(client_for(_viewer(world)).get(reverse("inventory:lot", args=["LPR-001"])))
    assert "Secondary raw material" in html and "flax 55 %" in html
    assert "Received" in html and "+12 kg" in html
    assert (
        client_for(world.y.manager).get(reverse("inventory:lot", args=["LPR-001"])).status_code
        == 404
    )
    assert (
        client_for(world.y.manager).get(reverse("inventory:move", args=["LPR-001"])).status_code
        == 404
    )
    assert (
        client_for(world.x.operator).get(reverse("inventory:lot", args=["NOPE"])).status_code == 404
    )
    assert s.lot.code == "LPR-001"


# ---------------------------------------------------------------- receiving


def test_receiving_a_delivery_with_a_new_material_checks_and_a_certificate(world, client_for):
    s = make_stock(world)
    client = client_for(world.x.operator)
    token = _token(_html(client.get(reverse("inventory:receive"))))
    data = _receive_data(
        s,
        token,
        new_item="Jute coffee sacks",
        unit="KGM",
        collection_source="Roastery in Forest",
        material_0="jute",
        share_0="100",
        check_0="metal staples",
        result_0="fail",
        note_0="staples in 3 sacks",
        code="JUTE-01",
        grade="B",
    )
    data["line-0-certificates"] = SimpleUploadedFile("certificate.pdf", pdf_bytes(1))
    response = client.post(reverse("inventory:receive"), data)
    assert response.status_code == 302, response.content[:3000]
    lot = Lot.objects.unscoped("test").get(code="JUTE-01")
    assert (lot.item.name, lot.status, lot.grade) == ("Jute coffee sacks", LotStatus.BLOCKED, "B")
    assert lot.composition == [{"material": "jute", "share": "100.00"}]
    assert lot.contaminant_checks[0]["result"] == "fail"
    assert lot.certificates.count() == 1 and ledger(lot) == 30
    page = _html(client.get(response["Location"]))
    assert "JUTE-01" in page
    # A second submission of the same form (a double click) creates nothing more.
    data["line-0-certificates"] = SimpleUploadedFile("certificate.pdf", pdf_bytes(1))
    again = client.post(reverse("inventory:receive"), data)
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Lot.objects.unscoped("test").filter(code="JUTE-01").count() == 1
    certificate = client.get(reverse("inventory:certificate", args=["JUTE-01"]) + "?n=1")
    assert certificate.status_code == 200 and certificate["Content-Type"] == "application/pdf"


def test_a_refused_delivery_keeps_what_was_typed(world, client_for):
    s = make_stock(world)
    client = client_for(world.x.operator)
    token = _token(_html(client.get(reverse("inventory:receive"))))
    receipts = Receipt.objects.unscoped("test").count()
    html = _html(
        client.post(
            reverse("inventory:receive"),
            _receive_data(s, token, item=s.waste.pk, quantity="-4", collection_source="Kept"),
        )
    )
    assert "The quantity must be more than zero." in html
    assert 'value="Les Petits Riens"' in html and 'value="Kept"' in html
    taken = _html(
        client.post(
            reverse("inventory:receive"), _receive_data(s, token, item=s.waste.pk, code="LPR-001")
        )
    )
    assert "This lot code is already used." in taken
    data = _receive_data(s, token, item=s.waste.pk)
    data["line-0-certificates"] = SimpleUploadedFile("drawing.stl", stl_bytes())
    refused = _html(client.post(reverse("inventory:receive"), data))
    assert "certificates" in refused.lower() and 'value="Les Petits Riens"' in refused
    assert Receipt.objects.unscoped("test").count() == receipts


def test_adding_a_line_keeps_the_first_one(world, client_for):
    s = make_stock(world)
    client = client_for(world.x.operator)
    data = _receive_data(s, "", item=s.waste.pk, quantity="7", collection_source="First")
    data["add_line"] = "1"
    html = _html(client.post(reverse("inventory:receive"), data))
    assert "Lot 2" in html and 'value="First"' in html and 'value="7"' in html
    assert Receipt.objects.unscoped("test").count() == 1


def test_an_operator_adds_a_material_then_receives_it(world, client_for):
    make_stock(world)
    client = client_for(world.x.operator)
    response = client.post(
        reverse("inventory:item_new"),
        {
            "organization": world.x.org.pk,
            "name": "Cotton offcuts",
            "kind": "material",
            "default_unit": "KGM",
        },
    )
    item = Item.objects.owned_by(world.x.org).get(name="Cotton offcuts")
    assert response["Location"].endswith(f"?item={item.pk}")
    assert client_for(world.y.manager).get(reverse("inventory:item_new")).status_code == 200


# ---------------------------------------------------------------- acting on a lot


def test_moving_scrapping_and_correcting(world, client_for):
    s = make_stock(world)
    operator = client_for(world.x.operator)
    moved = operator.post(
        reverse("inventory:move", args=["LPR-001"]),
        {"location": s.store.pk, "to_location": s.floor.pk, "quantity": "2,5", "unit": ""},
    )
    assert moved.status_code == 302
    assert ledger(s.lot, s.floor) == Decimal("2.5")
    too_much = _html(
        operator.post(
            reverse("inventory:scrap", args=["LPR-001"]),
            {"location": s.floor.pk, "quantity": "3", "unit": "", "reason": "Mouldy"},
        )
    )
    assert "Not enough stock" in too_much and 'value="Mouldy"' in too_much
    grams = operator.post(
        reverse("inventory:scrap", args=["LPR-001"]),
        {"location": s.floor.pk, "quantity": "500", "unit": "GRM", "reason": "Mouldy"},
    )
    assert grams.status_code == 302 and ledger(s.lot, s.floor) == 2
    pieces = _html(
        operator.post(
            reverse("inventory:scrap", args=["LPR-001"]),
            {"location": s.floor.pk, "quantity": "1", "unit": "C62", "reason": "x"},
        )
    )
    assert "Select a valid choice" in pieces  # pieces are not offered for a kg lot
    assert operator.get(reverse("inventory:adjust", args=["LPR-001"])).status_code == 403
    manager = client_for(world.x.manager)
    corrected = manager.post(
        reverse("inventory:adjust", args=["LPR-001"]),
        {"location": s.store.pk, "quantity": "-0.5", "reason": "Yearly count"},
    )
    assert corrected.status_code == 302 and ledger(s.lot) == Decimal(11)


def test_inspecting_blocks_a_lot(world, client_for):
    s = make_stock(world)
    response = client_for(world.x.operator).post(
        reverse("inventory:inspect", args=["LPR-001"]),
        {"check_0": "moisture", "result_0": "fail", "note_0": "wet", "grade": ""},
    )
    assert response.status_code == 302
    s.lot.refresh_from_db()
    assert s.lot.status == LotStatus.BLOCKED
    empty = _html(
        client_for(world.x.operator).post(reverse("inventory:inspect", args=["LPR-001"]), {})
    )
    assert "Record at least one check or a grade." in empty
    viewer = client_for(_viewer(world))
    assert viewer.get(reverse("inventory:inspect", args=["LPR-001"])).status_code == 403
    assert "/inspect/" not in _html(viewer.get(reverse("inventory:lot", args=["LPR-001"])))


def test_reserving_for_a_work_order_and_releasing(world, client_for):
    s = make_stock(world)
    work = accepted_work_order(world, world.x)
    client = client_for(world.x.operator)
    page = _html(client.get(reverse("inventory:reserve", args=["LPR-001"])))
    assert work.reference in page
    response = client.post(
        reverse("inventory:reserve", args=["LPR-001"]),
        {"location": s.store.pk, "work_order": work.pk, "quantity": "10", "unit": ""},
    )
    assert response.status_code == 302
    reservation = Reservation.objects.unscoped("test").get(lot=s.lot)
    assert "Release" in _html(client.get(reverse("inventory:lot", args=["LPR-001"])))
    released = client.post(reverse("inventory:release", args=[reservation.pk]))
    assert released.status_code == 302
    reservation.refresh_from_db()
    assert reservation.state == "released"
    assert (
        client_for(world.y.manager)
        .post(reverse("inventory:release", args=[reservation.pk]))
        .status_code
        == 404
    )


# ---------------------------------------------------------------- transfers


def test_shipping_then_receiving_with_a_discrepancy_once(world, client_for):
    s = make_stock(world)
    dock = services.create_location(
        actor=world.actor(world.y.manager), site=world.y.site, code="DOCK", name="Dock"
    )
    sender = client_for(world.x.operator)
    token = _token(_html(sender.get(reverse("inventory:ship") + "?lot=LPR-001")))
    data = {
        "from_location": s.store.pk,
        "to_site": world.y.site.pk,
        "carrier": "Cargo bike",
        "form_token": token,
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-MIN_NUM_FORMS": "1",
        "line-MAX_NUM_FORMS": "20",
        "line-0-lot": "LPR-001",
        "line-0-quantity": "5",
    }
    too_much = _html(sender.post(reverse("inventory:ship"), {**data, "line-0-quantity": "50"}))
    assert "Only 12 kg of this lot are free" in too_much
    shipped = sender.post(reverse("inventory:ship"), data)
    assert shipped.status_code == 302
    again = sender.post(reverse("inventory:ship"), data)
    assert again["Location"] == shipped["Location"]
    transfer = Transfer.objects.unscoped("test").get()
    line = TransferLine.objects.unscoped("test").get(transfer=transfer)
    notice = _html(sender.get(reverse("inventory:transfer_receive", args=[transfer.pk])))
    assert "can receive this transfer" in notice
    receiver = client_for(world.y.operator)
    assert transfer.reference in _html(receiver.get(reverse("inventory:transfers")))
    form = {"location": dock.pk, f"count_{line.pk}": "4", f"note_{line.pk}": "One bag missing"}
    received = receiver.post(reverse("inventory:transfer_receive", args=[transfer.pk]), form)
    assert received.status_code == 302
    line.refresh_from_db()
    assert (line.received_quantity, line.discrepancy) == (Decimal(4), "One bag missing")
    twice = _html(receiver.post(reverse("inventory:transfer_receive", args=[transfer.pk]), form))
    assert "already received" in twice
    assert ledger(s.lot, dock) == 4
    assert "One bag missing" in _html(
        receiver.get(reverse("inventory:transfer", args=[transfer.pk]))
    )


def test_shipping_a_foreign_lot_code_reveals_nothing(world, client_for):
    s = make_stock(world)
    other = client_for(world.y.manager)
    services.create_location(
        actor=world.actor(world.y.manager), site=world.y.site, code="B1", name="B1"
    )
    token = _token(_html(other.get(reverse("inventory:ship"))))
    html = _html(
        other.post(
            reverse("inventory:ship"),
            {
                "from_location": Location.objects.owned_by(world.y.org).get().pk,
                "to_site": world.x.site.pk,
                "form_token": token,
                "line-TOTAL_FORMS": "1",
                "line-INITIAL_FORMS": "1",
                "line-0-lot": s.lot.code,
                "line-0-quantity": "1",
            },
        )
    )
    assert "None of your lots has this code." in html
    assert not Transfer.objects.unscoped("test").exists()


# ---------------------------------------------------------------- locations, pools, conversions


def test_locations_pools_and_conversions(world, client_for):
    s = make_stock(world)
    manager = client_for(world.x.manager)
    created = manager.post(
        reverse("inventory:location_new"),
        {"site": world.x.site.pk, "code": "BIGBAG-1", "name": "Big bag 1", "kind": "storage"},
    )
    assert created.status_code == 302
    duplicate = _html(
        manager.post(
            reverse("inventory:location_new"),
            {"site": world.x.site.pk, "code": "A1", "name": "Again", "kind": "storage"},
        )
    )
    assert "already has a location with this code" in duplicate
    assert client_for(world.x.operator).get(reverse("inventory:location_new")).status_code == 403
    edit = _html(
        manager.post(
            reverse("inventory:location_edit", args=[s.store.pk]),
            {"name": "Rack A1", "kind": "storage"},
        )
    )
    assert "Move or use the stock of this location" in edit
    assert (
        client_for(world.y.manager)
        .get(reverse("inventory:location_edit", args=[s.store.pk]))
        .status_code
        == 404
    )
    pool = manager.post(
        reverse("inventory:pool_new"),
        {"custodian": world.x.org.pk, "name": "Paper pulp", "members": [world.y.org.pk]},
    )
    assert pool.status_code == 302
    assert set(StockPool.objects.unscoped("test").get().members.values_list("pk", flat=True)) == {
        world.x.org.pk,
        world.y.org.pk,
    }
    assert "Paper pulp" in _html(client_for(world.y.operator).get(reverse("inventory:pools")))
    saved = manager.post(
        reverse("inventory:conversions"),
        {"item": s.waste.pk, "from_unit": "C62", "factor": "0,004", "to_unit": "KGM"},
    )
    assert saved.status_code == 302
    conversion = ItemConversion.objects.unscoped("test").get()
    assert conversion.factor == Decimal("0.004")
    removed = manager.post(reverse("inventory:conversions"), {"remove": conversion.pk})
    assert removed.status_code == 302 and not ItemConversion.objects.unscoped("test").exists()
