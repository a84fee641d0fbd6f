"""The EPCIS 2.0 export validates against GS1's official JSON schema."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from jsonschema import Draft7Validator, FormatChecker

from reproduce.inventory.models import EventType, LotRole, TraceEvent, TraceEventLot
from reproduce.traceability import epcis
from reproduce.traceability.tests.conftest import GTIN

pytestmark = pytest.mark.django_db

STANDARD = Path(__file__).resolve().parents[1] / "standards" / "epcis"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((STANDARD / "EPCIS-JSON-Schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=FormatChecker())


def _errors(validator: Draft7Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_schema_refuses_a_broken_document(validator, chain):
    doc = epcis.document(epcis.events_for(None))
    doc["epcisBody"]["eventList"][0].pop("action")
    assert _errors(validator, doc)


def test_a_realistic_chain_exports_every_event_type_and_validates(validator, chain, world):
    # A commissioning event (an item given an identity in the network) as well.
    event = TraceEvent.objects.create(
        type=EventType.OBJECT,
        action="ADD",
        biz_step="commissioning",
        disposition="active",
        occurred_at=timezone.now() - timedelta(hours=1),
        organization=world.y.org,
        site=world.y.site,
    )
    TraceEventLot.objects.create(event=event, lot=chain.box, role=LotRole.OBJECT)
    doc = epcis.document(epcis.events_for(None))
    assert _errors(validator, doc) == []
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    assert (doc["type"], doc["schemaVersion"]) == ("EPCISDocument", "2.0")
    events = doc["epcisBody"]["eventList"]
    steps = {(e["type"], e.get("action"), e["bizStep"]) for e in events}
    assert steps >= {
        ("ObjectEvent", "ADD", "receiving"),  # from the supplier
        ("ObjectEvent", "OBSERVE", "inspecting"),
        ("ObjectEvent", "OBSERVE", "shipping"),
        ("ObjectEvent", "OBSERVE", "receiving"),  # at the other site
        ("ObjectEvent", "ADD", "commissioning"),
        ("TransformationEvent", None, "commissioning"),
        ("AggregationEvent", "ADD", "packing"),
    }
    assert all(e["eventID"].startswith("urn:uuid:") for e in events)
    received = next(e for e in events if e["bizStep"] == "receiving" and e["action"] == "OBSERVE")
    assert [s["type"] for s in received["sourceList"]] == ["owning_party", "location"]
    assert received["destinationList"][1]["destination"].endswith(f"/id/site/{world.y.site.pk}")
    assert received["quantityList"][0]["quantity"] == 10.8
    assert received["reproduce:details"]["discrepancies"]["PULP-001"] == "wet bag, weighed less"
    sheets = next(
        e for e in events if e["type"] == "TransformationEvent" and e.get("bizTransactionList")
    )
    assert sheets["outputQuantityList"] == [
        {"epcClass": f"https://id.gs1.org/01/0{GTIN}/10/SHEETS-001", "quantity": 300, "uom": "C62"}
    ]
    assert sheets["inputQuantityList"][0]["epcClass"].endswith("/lot/PULP-001")
    assert sheets["transformationID"].endswith(f"/id/work-order/{chain.work_order.reference}")
    packed = next(e for e in events if e["type"] == "AggregationEvent")
    assert packed["parentID"].endswith("/lot/BOX-001")
    assert packed["childQuantityList"][0]["quantity"] == 100
    first = events[0]
    assert first["ilmd"]["reproduce:lots"][0]["collectionSource"] == "Les Petits Riens, Anderlecht"


def test_a_member_exports_the_events_of_its_organisation_only(validator, chain, world):
    doc = epcis.document(
        epcis.events_for(world.actor(world.x.manager)), actor=world.actor(world.x.manager)
    )
    assert _errors(validator, doc) == []
    text = json.dumps(doc)
    assert "PULP-001" in text and "SHEETS-001" not in text and "BOX-001" not in text


def test_one_lots_trace(validator, chain):
    unrelated = epcis.events_for(None).count()
    doc = epcis.document(epcis.events_for(None, lot=chain.fibre))
    assert _errors(validator, doc) == []
    assert 0 < len(doc["epcisBody"]["eventList"]) <= unrelated


def test_small_chunks_give_the_same_events(chain):
    events = epcis.events_for(None)
    whole = json.loads("".join(epcis.stream(events)))
    chunked = json.loads("".join(epcis.stream(events, chunk=2)))
    ids = [e["eventID"] for e in whole["epcisBody"]["eventList"]]
    assert ids == [e["eventID"] for e in chunked["epcisBody"]["eventList"]]
    assert len(ids) == TraceEvent.objects.unscoped("test").count()


def test_the_command_prints_one_valid_document(validator, chain, tmp_path):
    out = io.StringIO()
    call_command("traceability", "export-epcis", "--all", stdout=out)
    doc = json.loads(out.getvalue())
    assert _errors(validator, doc) == []
    assert len(doc["epcisBody"]["eventList"]) == TraceEvent.objects.unscoped("test").count()
    target = tmp_path / "events.jsonld"
    call_command(
        "traceability",
        "export-epcis",
        "--lot",
        "BOX-001",
        "--output",
        str(target),
        stderr=io.StringIO(),
    )
    assert _errors(validator, json.loads(target.read_text())) == []


def test_the_command_refuses_an_unknown_lot():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("traceability", "export-epcis", "--lot", "NOPE-1", stdout=io.StringIO())
