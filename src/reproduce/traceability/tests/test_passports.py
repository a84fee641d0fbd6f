"""Lot passports and the persistent label addresses: only what the owner made public."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from reproduce.inventory import services as stock
from reproduce.traceability.tests.conftest import GTIN

pytestmark = pytest.mark.django_db

API = "/api/v1/passports/{}"


def _publish(world, lot, fields, **texts):
    owner = world.x if lot.owner_id == world.x.org.pk else world.y
    return stock.set_passport(
        actor=world.actor(owner.manager), lot=lot, public=True, fields=fields, **texts
    )


def test_the_passport_shows_only_the_public_parts(chain, world, client_for):
    _publish(world, chain.sheets, ["materials", "recycled"], care="Keep dry.")
    response = client_for(None).get(API.format("SHEETS-001"))
    assert response.status_code == 200
    data = response.json()
    assert data["published"] is True and data["preview"] is False
    assert data["published_parts"] == ["materials", "recycled"]
    assert data["design"] is None and data["workshops"] is None and data["care"] is None
    assert "Keep dry." not in response.content.decode()
    assert data["product"]["gtin"] == "0" + GTIN
    assert data["url"].endswith(f"/01/0{GTIN}/10/SHEETS-001")
    assert data["recycled_content"] == {
        "known": True,
        "share_percent": "100.00",
        "basis": "mass-weighted share of the recycled or recovered inputs",
    }
    waste = data["materials"]["sources"][0]
    assert waste["material"] == "Flax/cotton waste"
    assert [p["material"] for p in waste["composition"]] == ["flax", "cotton"]
    # The waste belongs to lab X, which did not publish where it was collected.
    assert waste["disclosed"] is False and waste["collection_source"] is None
    assert "Les Petits Riens" not in response.content.decode()


def test_the_supplier_shows_once_its_owner_publishes_it(chain, world, client_for):
    _publish(world, chain.sheets, ["materials"])
    _publish(world, chain.waste, ["materials"])
    waste = client_for(None).get(API.format("SHEETS-001")).json()["materials"]["sources"][0]
    assert waste["disclosed"] is True
    assert waste["collection_source"] == "Les Petits Riens, Anderlecht"


def test_missing_data_is_said_to_be_missing(chain, world, client_for):
    _publish(world, chain.box, ["design", "care", "workshops"])
    data = client_for(None).get(API.format("BOX-001")).json()
    assert data["care"]["known"] is False
    assert set(data["missing"]) >= {"care", "design"}
    assert data["workshops"]["known"] is True  # lab Y made the sheets inside
    with translation.override("en"):
        page = client_for(None).get(reverse("traceability:passport", args=["BOX-001"]))
    assert "No care instructions given." in page.content.decode()


def test_a_private_passport_answers_404_to_anyone_but_its_owner(chain, world, client_for):
    anonymous = client_for(None)
    assert anonymous.get(API.format("SHEETS-001")).status_code == 404
    assert anonymous.get(API.format("NO-SUCH-LOT")).status_code == 404
    assert anonymous.get(reverse("traceability:passport", args=["SHEETS-001"])).status_code == 404
    assert anonymous.get("/lot/SHEETS-001").status_code == 404
    assert anonymous.get(f"/01/0{GTIN}/10/SHEETS-001").status_code == 404
    # A member of another organisation: the same 404, nothing revealed.
    other = client_for(world.z.manager)
    foreign = other.get(API.format("SHEETS-001"))
    assert foreign.status_code == 404
    assert "SHEETS" not in foreign.content.decode().replace("SHEETS-001", "")
    # Its owner too: the owner previews every part on the passport settings page.
    assert client_for(world.y.manager).get(API.format("SHEETS-001")).status_code == 404
    with translation.override("en"):
        settings_page = client_for(world.y.manager).get(
            reverse("traceability:passport_settings", args=["SHEETS-001"])
        )
    assert settings_page.status_code == 200
    assert "not public" in settings_page.content.decode()


def test_the_label_addresses_show_the_passport(chain, world, client_for):
    _publish(world, chain.sheets, ["recycled"])
    client = client_for(None)
    response = client.get(f"/01/0{GTIN}/10/SHEETS-001", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    assert response["Content-Language"] == "nl"
    assert client.get(f"/01/{GTIN}/10/SHEETS-001").status_code == 200  # 13 digits, same GTIN
    assert client.get("/01/04012345000016/10/SHEETS-001").status_code == 404  # another GTIN
    assert client.get("/lot/SHEETS-001").status_code == 200
    # a lot without a GTIN has no Digital Link address
    _publish(world, chain.box, ["recycled"])
    assert client.get(f"/01/0{GTIN}/10/BOX-001").status_code == 404
    assert client.get("/lot/BOX-001").status_code == 200


def test_the_owner_chooses_the_public_parts(chain, world, client_for):
    url = reverse("traceability:passport_settings", args=["SHEETS-001"])
    manager = client_for(world.y.manager)
    assert manager.get(url).status_code == 200
    response = manager.post(
        url,
        {
            "public": "on",
            "parts": ["care", "design"],
            "care": "Wash cold.",
            "repair": "",
            "disposal": "Paper bin.",
        },
    )
    assert response.status_code == 302
    chain.sheets.refresh_from_db()
    assert chain.sheets.passport_public is True
    assert chain.sheets.passport_fields == ["care", "design"]
    assert chain.sheets.disposal_instructions == "Paper bin."
    page = client_for(None).get(reverse("traceability:passport", args=["SHEETS-001"]))
    assert "Wash cold." in page.content.decode()
    assert client_for(world.y.operator).post(url, {"public": "on"}).status_code == 403
    # Y holds the pulp but X owns it: Y does not decide its passport.
    pulp = reverse("traceability:passport_settings", args=["PULP-001"])
    assert client_for(world.y.manager).get(pulp).status_code == 404
    assert client_for(world.coordinator).get(url).status_code == 403
