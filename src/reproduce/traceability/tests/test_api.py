"""The traceability API: trace graphs, recall lists, EPCIS events, documented in OpenAPI."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db


def test_trace_down_anonymises_lots_of_other_organisations(chain, world, client_for):
    response = client_for(world.x.manager).get(
        "/api/v1/lots/WASTE-001/trace", {"direction": "down"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 4
    ids = [n["id"] for n in data["nodes"]]
    assert ids[:3] == ["WASTE-001", "FIBRE-001", "PULP-001"]
    hidden = [n for n in data["nodes"] if not n["visible"]]
    assert len(hidden) == 2 and all(n["code"] is None and n["item"] is None for n in hidden)
    assert {"parent": "PULP-001", "child": hidden[0]["id"]} in data["edges"]
    assert "SHEETS-001" not in response.content.decode()


def test_trace_up_for_the_coordinator(chain, world, client_for):
    data = client_for(world.coordinator).get("/api/v1/lots/BOX-001/trace?direction=up").json()
    assert [n["id"] for n in data["nodes"]] == [
        "BOX-001",
        "SHEETS-001",
        "PULP-001",
        "FIBRE-001",
        "WASTE-001",
    ]
    assert Decimal(data["nodes"][1]["made"]) == 300
    assert client_for(world.z.manager).get("/api/v1/lots/BOX-001/trace").status_code == 404
    assert client_for(None).get("/api/v1/lots/BOX-001/trace").status_code == 401


def test_recall_by_the_owner_and_by_the_coordinator(chain, world, client_for):
    own = client_for(world.y.manager).get("/api/v1/lots/SHEETS-001/recall")
    assert own.status_code == 200
    data = own.json()
    assert [a["code"] for a in data["affected"]] == ["BOX-001", "SHEETS-001"]
    assert data["customers"][0]["name"] == world.customer.name
    assert client_for(world.coordinator).get("/api/v1/lots/SHEETS-001/recall").status_code == 403
    network = client_for(world.coordinator).get("/api/v1/network/lots/WASTE-001/recall")
    assert network.status_code == 200 and network.json()["reached"] == 4
    y = client_for(world.y.manager)
    assert y.get("/api/v1/network/lots/SHEETS-001/recall").status_code == 403
    assert y.get("/api/v1/network/lots/WASTE-001/recall").status_code == 404


def test_epcis_events_of_one_lot(chain, world, client_for):
    response = client_for(world.y.manager).get("/api/v1/epcis/events", {"lot": "SHEETS-001"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    doc = json.loads(b"".join(response.streaming_content))
    types = {e["type"] for e in doc["epcisBody"]["eventList"]}
    assert types == {"ObjectEvent", "TransformationEvent", "AggregationEvent"}
    assert "WASTE-001" not in json.dumps(doc)  # lab X's events are not lab Y's to read
    assert (
        client_for(world.z.manager).get("/api/v1/epcis/events", {"lot": "SHEETS-001"}).status_code
        == 404
    )
    everything = client_for(world.coordinator).get("/api/v1/epcis/events")
    assert "WASTE-001" in b"".join(everything.streaming_content).decode()
    assert client_for(None).get("/api/v1/epcis/events").status_code == 401


def test_the_openapi_description_documents_the_passport_and_epcis(client_for):
    schema = client_for(None).get("/api/v1/openapi.json").json()
    passport = schema["paths"]["/api/v1/passports/{lot_code}"]["get"]
    assert "404" in passport["responses"]
    assert "recycled_content" in schema["components"]["schemas"]["PassportOut"]["properties"]
    events = schema["paths"]["/api/v1/epcis/events"]["get"]
    assert "application/ld+json" in events["responses"]["200"]["content"]
    assert "/api/v1/lots/{code}/trace" in schema["paths"]
