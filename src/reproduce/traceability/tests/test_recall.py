"""Recall lists: the affected finished lots, where they are, and the customers."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from reproduce.traceability import selectors

pytestmark = pytest.mark.django_db


def test_the_recall_lists_the_finished_lots_and_the_customer(chain, world):
    found = selectors.recall(world.actor(world.coordinator), chain.waste)
    codes = [line.lot.code for line in found.lines]
    # The box has nothing made from it; the sheets are the design's product.
    assert codes == ["BOX-001", "SHEETS-001"]
    assert found.reached == 4 and found.hidden == 0
    sheets = found.lines[1]
    assert sheets.on_hand == 200  # 300 made, 100 packed
    assert [(p.site_name, p.location) for p in sheets.places] == [(world.y.site.name, "STORE")]
    assert (sheets.order, sheets.customer) == (chain.order.reference, world.customer.name)
    assert [c.name for c in found.customers] == [world.customer.name]
    assert found.customers[0].orders == [chain.order.reference]


def test_the_owner_does_not_see_lots_of_others_in_the_recall(chain, world):
    found = selectors.recall(world.actor(world.x.manager), chain.waste)
    assert found.lines == [] and found.hidden == 2


def test_shipments_of_affected_lots_name_the_recipient(chain, world):
    from decimal import Decimal

    from reproduce.inventory import services as stock

    stock.ship(
        actor=world.actor(world.y.manager),
        from_location=chain.y_store,
        to_site=world.z.site,
        lines=[(chain.box, Decimal(1))],
    )
    found = selectors.recall(world.actor(world.y.manager), chain.sheets)
    assert found.destinations == [world.z.org.name]
    box = next(line for line in found.lines if line.lot.code == "BOX-001")
    assert box.shipped_to == [world.z.org.name] and box.places == []


def test_recall_pages_and_their_access(chain, world, client_for):
    page = reverse("traceability:recall", args=["SHEETS-001"])
    network = reverse("traceability:recall_network", args=["SHEETS-001"])
    response = client_for(world.y.manager).get(page)
    assert response.status_code == 200
    assert world.customer.name in response.content.decode()
    assert client_for(world.y.operator).get(page).status_code == 403
    # The pulp belongs to X: Y holds it but does not recall it; others do not even see it.
    assert (
        client_for(world.y.manager)
        .get(reverse("traceability:recall", args=["PULP-001"]))
        .status_code
        == 404
    )
    assert client_for(world.z.manager).get(page).status_code == 404
    assert client_for(world.coordinator).get(page).status_code == 403
    assert client_for(world.coordinator).get(network).status_code == 200
    assert client_for(world.y.manager).get(network).status_code == 403
    assert client_for(None).get(network).status_code == 302


def test_the_csv_is_safe_against_formulas(chain, world, client_for):
    item = chain.box.item
    item.name = '=HYPERLINK("http://evil")'
    item.save()
    response = client_for(world.coordinator).get(
        reverse("traceability:recall_network", args=["WASTE-001"]), {"format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["lot", "item", "status"]
    box = next(r for r in rows if r[0] == "BOX-001")
    assert not box[1].startswith("=")
    sheets = next(r for r in rows if r[0] == "SHEETS-001")
    assert sheets[10] == world.customer.name
