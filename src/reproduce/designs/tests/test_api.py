"""The REST API of the designs library: shapes, status codes and error codes, as a client sees
them. The designs are built through the services; the API is then called over HTTP."""

import csv
import io
import json
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from reproduce.accounts.models import ApiToken
from reproduce.core.actor import Actor, actor_for_user
from reproduce.designs import services as ds
from reproduce.designs.models import BomLine, Design, DesignVersion, Item
from reproduce.network.models import Material, Process

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
JSON = "application/json"


def _token(user: Any, scopes: tuple[str, ...] = ("read", "write")) -> str:
    raw, prefix, digest = ApiToken.generate()
    ApiToken.objects.create(
        user=user, name="test", prefix=prefix, token_hash=digest, scopes=list(scopes)
    )
    return raw


def _bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _upload(data: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


@dataclass
class Library:
    actor: Actor
    org: Any
    screw: Any
    plywood: Any
    leg: Design
    leg_v1: DesignVersion
    stool: Design
    stool_v1: DesignVersion


def _item(actor: Actor, org: Any, **values: Any) -> Any:
    return ds.create_item(actor=actor, organization=org, values=values)


@pytest.fixture
def library(network: Any) -> Library:
    """Organisation A's public stool 1.0: three legs 1.0 (plywood + 4 screws each), 2 more
    screws, and a laser-cutting operation on plywood."""
    actor = actor_for_user(network.a.owner)
    org = network.a.org
    plywood = _item(
        actor,
        org,
        kind="material",
        name="Birch plywood",
        material=Material.objects.get(code="plywood"),
        specification="18 mm, EN 636-2",
        default_unit="MTK",
    )
    screw = _item(actor, org, kind="part", name="Screw 4x30", supplier="Brico", default_unit="C62")
    leg = ds.create_design(
        actor=actor, organization=org, values={"name": "Stool leg", "kind": "component"}
    )
    leg_v1 = leg.versions.get()
    ds.add_bom_line(actor=actor, version=leg_v1, item=plywood, quantity=Decimal("0.25"))
    ds.add_bom_line(actor=actor, version=leg_v1, item=screw, quantity=Decimal(4))
    ds.release_version(actor=actor, version=leg_v1, number="1.0")
    stool = ds.create_design(
        actor=actor,
        organization=org,
        values={
            "name": "Brussels stool",
            "kind": "product",
            "summary": "A stool",
            "tags": ["seat"],
        },
    )
    stool_v1 = stool.versions.get()
    leg_item = ds.item_for_design(actor=actor, organization=org, design=leg)
    ds.add_bom_line(actor=actor, version=stool_v1, item=leg_item, quantity=Decimal(3))
    ds.add_bom_line(actor=actor, version=stool_v1, item=screw, quantity=Decimal(2))
    ds.add_operation(
        actor=actor,
        version=stool_v1,
        values={
            "name": "Cut the seat",
            "process": Process.objects.get(code="laser-cutting"),
            "material": Material.objects.get(code="plywood"),
            "min_x_mm": 800,
            "min_y_mm": 500,
            "tolerance_class": "m",
        },
    )
    ds.release_version(actor=actor, version=stool_v1, number="1.0")
    for design in (leg, stool):
        ds.set_visibility(actor=actor, design=design, visibility="public")
    return Library(actor, org, screw, plywood, leg, leg_v1, stool, stool_v1)


# ---------------------------------------------------------------- the catalogue


def test_anonymous_list_shows_public_designs_only(library: Library) -> None:
    secret = ds.create_design(
        actor=library.actor, organization=library.org, values={"name": "Secret", "kind": "tool"}
    )
    response = Client().get("/api/v1/designs")
    assert response.status_code == 200
    body = response.json()
    names = [d["name"] for d in body["items"]]
    assert body["count"] == 2 and names == ["Brussels stool", "Stool leg"]
    assert secret.name not in names
    stool = body["items"][0]
    assert stool["id"] == library.stool.pk and stool["kind"] == "product"
    assert stool["organization"] == {"slug": "orga", "name": "Org ORGA"}
    assert stool["latest_version"] == "1.0"
    assert stool["reproductions"] == 0 and stool["forked_from"] is None
    assert stool["tags"] == ["seat"] and stool["license"] == "CERN-OHL-S-2.0"
    filtered = Client().get("/api/v1/designs?kind=component").json()
    assert [d["name"] for d in filtered["items"]] == ["Stool leg"]
    assert Client().get("/api/v1/designs?q=brussels").json()["count"] == 1
    assert Client().get("/api/v1/designs?tag=seat").json()["count"] == 1
    assert Client().get("/api/v1/designs?organization=orgb").json()["count"] == 0


def test_the_list_costs_the_same_queries_for_more_designs(library, network, client_for):
    client = client_for(network.b.viewer)
    ds.fork_design(
        actor=actor_for_user(network.b.owner), version=library.stool_v1, organization=network.b.org
    )
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/designs").json()["count"] == 6  # with the fixture's three
    for n in range(3):
        design = ds.create_design(
            actor=library.actor, organization=library.org, values={"name": f"D{n}", "kind": "tool"}
        )
        ds.set_visibility(actor=library.actor, design=design, visibility="network")
    with CaptureQueriesContext(connection) as more:
        assert client.get("/api/v1/designs").json()["count"] == 9
    assert len(more) == len(few)


def test_members_see_their_private_designs_and_strangers_get_404(library, network, client_for):
    secret = ds.create_design(
        actor=library.actor, organization=library.org, values={"name": "Secret", "kind": "tool"}
    )
    member = client_for(network.a.viewer)
    assert "Secret" in [d["name"] for d in member.get("/api/v1/designs").json()["items"]]
    detail = member.get(f"/api/v1/designs/{secret.pk}").json()
    assert detail["versions"][0]["state"] == "draft"
    assert client_for(network.b.owner).get(f"/api/v1/designs/{secret.pk}").status_code == 404
    public = Client().get(f"/api/v1/designs/{library.stool.pk}").json()
    assert [v["number"] for v in public["versions"]] == ["1.0"]
    assert public["shared_with"] == []


# ---------------------------------------------------------------- OKH


def test_okh_manifest_of_the_latest_released_version(library: Library) -> None:
    ds.start_draft(actor=library.actor, design=library.stool, change_note="Wider seat")
    response = Client().get(f"/api/v1/designs/{library.stool.pk}/okh.toml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/toml")
    manifest = tomllib.loads(response.content.decode())
    assert manifest["name"] == "Brussels stool"
    assert manifest["version"] == "1.0"  # the released version, not the 1.1 draft


def test_okh_manifest_without_a_release_is_404_with_a_code(library, client_for, network):
    draft_only = ds.create_design(
        actor=library.actor, organization=library.org, values={"name": "Lamp", "kind": "product"}
    )
    response = client_for(network.a.owner).get(f"/api/v1/designs/{draft_only.pk}/okh.toml")
    assert response.status_code == 404
    assert response.json()["code"] == "no_released_version"


def test_okh_import_reports_what_was_mapped(network: Any, client_for: Any) -> None:
    client = client_for(network.a.manager)
    data = (DATA / "nimble.okh.toml").read_bytes()
    response = client.post(
        "/api/v1/designs/import-okh", {"file": _upload(data, "okh.toml")}, format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["design"]["organization"]["slug"] == "orga"
    assert body["mapped"] and isinstance(body["unmapped"], list)
    invalid = client.post(
        "/api/v1/designs/import-okh",
        {"file": _upload(b"name = 12\n", "okh.toml")},
        format="multipart",
    )
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "okh_invalid"
    assert invalid.json()["details"]["errors"]


# ---------------------------------------------------------------- versions


def test_a_released_version_cannot_be_patched(library: Library, network, client_for) -> None:
    url = f"/api/v1/versions/{library.stool_v1.pk}"
    response = client_for(network.a.manager).patch(
        url, json.dumps({"function": "Something else"}), content_type=JSON
    )
    assert response.status_code == 409
    assert response.json()["code"] == "version_released"
    library.stool_v1.refresh_from_db()
    assert library.stool_v1.function == ""
    assert Client().get(url).json()["function"] == ""


def test_draft_is_patched_and_released(library: Library, network, client_for) -> None:
    client = client_for(network.a.manager)
    started = client.post(
        f"/api/v1/designs/{library.stool.pk}/drafts",
        json.dumps({"change_note": "Thicker seat"}),
        content_type=JSON,
    )
    assert started.status_code == 201
    draft = started.json()
    assert draft["number"] == "1.1" and draft["is_editable"] and len(draft["bom"]) == 2
    patched = client.patch(
        f"/api/v1/versions/{draft['id']}", json.dumps({"function": "Sit on it"}), content_type=JSON
    )
    assert patched.status_code == 200 and patched.json()["function"] == "Sit on it"
    again = client.post(
        f"/api/v1/designs/{library.stool.pk}/drafts",
        json.dumps({"change_note": "Another"}),
        content_type=JSON,
    )
    assert again.status_code == 409 and again.json()["code"] == "draft_exists"
    released = client.post(f"/api/v1/versions/{draft['id']}/release", "{}", content_type=JSON)
    assert released.status_code == 200 and released.json()["state"] == "released"
    viewer = client_for(network.a.viewer).post(
        f"/api/v1/versions/{library.stool_v1.pk}/obsolete", "{}", content_type=JSON
    )
    assert viewer.status_code == 403


def test_bom_cycle_is_refused_and_nothing_is_written(library: Library, network, client_for):
    # The stool contains the leg; a leg that contained the stool would loop.
    draft = ds.start_draft(actor=library.actor, design=library.leg, change_note="Add a seat")
    lines, items = BomLine.objects.unscoped("test").count(), Item.objects.unscoped("test").count()
    response = client_for(network.a.manager).post(
        f"/api/v1/versions/{draft.pk}/bom",
        json.dumps({"item": {"kind": "design", "design_id": library.stool.pk}, "quantity": "1"}),
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "bom_cycle"
    assert BomLine.objects.unscoped("test").count() == lines
    assert Item.objects.unscoped("test").count() == items


def test_bom_line_with_an_inline_item_and_its_changes(library: Library, network, client_for):
    client = client_for(network.a.manager)
    draft = ds.start_draft(actor=library.actor, design=library.stool, change_note="Felt pads")
    created = client.post(
        f"/api/v1/versions/{draft.pk}/bom",
        json.dumps(
            {
                "item": {"kind": "part", "name": "Felt pad", "supplier": "Brico"},
                "quantity": "3",
                "unit": "C62",
            }
        ),
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    line = created.json()
    assert line["item"]["name"] == "Felt pad" and Decimal(line["quantity"]) == 3
    changed = client.patch(
        f"/api/v1/bom-lines/{line['id']}", json.dumps({"quantity": "4"}), content_type=JSON
    )
    assert Decimal(changed.json()["quantity"]) == 4
    assert client.delete(f"/api/v1/bom-lines/{line['id']}").status_code == 204
    items = client.get("/api/v1/items?q=felt").json()
    assert [i["name"] for i in items["items"]] == ["Felt pad"]


def test_explosion_sums_a_two_level_bom(library: Library) -> None:
    response = Client().get(f"/api/v1/versions/{library.stool_v1.pk}/bom/explosion?quantity=2")
    assert response.status_code == 200
    body = response.json()
    needs = {n["name"]: n for n in body["needs"]}
    assert Decimal(needs["Birch plywood"]["quantity"]) == Decimal("1.5")  # 0.25 × 3 × 2
    assert needs["Birch plywood"]["unit"] == "MTK" and needs["Birch plywood"]["kind"] == "material"
    assert Decimal(needs["Screw 4x30"]["quantity"]) == 28  # 4 × 3 × 2 + 2 × 2
    assert needs["Screw 4x30"]["unit"] == "C62" and needs["Screw 4x30"]["kind"] == "part"
    assert [(c["version"]["name"], Decimal(c["quantity"])) for c in body["components"]] == [
        ("Stool leg", 6)
    ]
    assert body["levels"] == 2
    many = Client().get(f"/api/v1/versions/{library.stool_v1.pk}/bom/explosion?quantity=40")
    screws = next(n for n in many.json()["needs"] if n["name"] == "Screw 4x30")
    assert screws["quantity"] == "560"  # 4 × 3 × 40 + 2 × 40, never "5.6E+2"


def test_compare_lists_bom_and_routing_changes(library: Library, network, client_for) -> None:
    draft = ds.start_draft(actor=library.actor, design=library.stool, change_note="More screws")
    screw_line = draft.bom_lines.get(item=library.screw)
    ds.update_bom_line(actor=library.actor, line=screw_line, values={"quantity": Decimal(6)})
    ds.add_operation(actor=library.actor, version=draft, values={"name": "Oil the seat"})
    ds.update_version(actor=library.actor, version=draft, values={"function": "Seat"})
    response = client_for(network.a.viewer).get(
        f"/api/v1/versions/{draft.pk}/compare", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["old"]["number"] == "1.0" and body["new"]["number"] == "1.1"
    assert body["bom"] == [
        {"label": "Screw 4x30", "status": "changed", "fields": [["quantity", "2", "6"]]}
    ]
    assert {"label": "Oil the seat", "status": "added", "fields": []} in body["routing"]
    assert body["texts"] == [["Function", "", "Seat"]]
    explicit = (
        Client()
        .get(f"/api/v1/versions/{library.stool_v1.pk}/compare?with={library.stool_v1.pk}")
        .json()
    )
    assert explicit["is_empty"] is True
    first = Client().get(f"/api/v1/versions/{library.leg_v1.pk}/compare").json()
    assert first["old"] is None and first["is_empty"]


def test_completeness_has_the_nine_elements(library: Library) -> None:
    body = Client().get(f"/api/v1/versions/{library.stool_v1.pk}/completeness").json()
    assert [e["code"] for e in body["elements"]] == [
        "identification",
        "cad",
        "bom",
        "materials",
        "manufacturing",
        "assembly",
        "finishing",
        "quality",
        "packaging",
    ]
    assert 0 < body["score"] < 100
    for element in body["elements"]:
        assert set(element) >= {"code", "title", "score", "complete", "missing"}
        assert element["complete"] == (not element["missing"])
    cad = next(e for e in body["elements"] if e["code"] == "cad")
    assert cad["complete"] is False and len(cad["missing"]) == 3


def test_dfm_answers_are_recorded(library: Library, network, client_for) -> None:
    client = client_for(network.a.manager)
    draft = ds.start_draft(actor=library.actor, design=library.stool, change_note="DFM")
    answer = {"question": "materials.available", "answer": "yes", "comment": "Brico"}
    response = client.put(
        f"/api/v1/versions/{draft.pk}/dfm", json.dumps({"answers": [answer]}), content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["answered"] == 1 and response.json()["total"] == 18
    unknown = client.put(
        f"/api/v1/versions/{draft.pk}/dfm",
        json.dumps({"answers": [{**answer, "question": "nope"}]}),
        content_type=JSON,
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_question"
    version = client.get(f"/api/v1/versions/{draft.pk}").json()
    assert version["dfm"] == [answer]


def test_manufacturability_finds_the_networks_laser_cutters(library, network, client_for):
    response = client_for(network.a.viewer).get(
        f"/api/v1/versions/{library.stool_v1.pk}/manufacturability"
    )
    assert response.status_code == 200
    [cut] = response.json()
    assert cut["name"] == "Cut the seat" and cut["checked"] and cut["possible"]
    assert "800×500 mm" in cut["requirements"]
    sites = {s["site"]["slug"]: s for s in cut["sites"]}
    assert network.a.listed_site.slug in sites
    assert sites[network.a.listed_site.slug]["machines"][0]["name"] == "Laser orga"
    assert network.b.listed_site.slug not in sites  # B shares its machines with nobody here


def test_csv_export_neutralises_formulas(library: Library, network, client_for) -> None:
    draft = ds.start_draft(actor=library.actor, design=library.stool, change_note="Evil")
    evil = _item(library.actor, library.org, kind="part", name='=HYPERLINK("http://evil.test","x")')
    ds.add_bom_line(actor=library.actor, version=draft, item=evil, quantity=Decimal(1))
    response = client_for(network.a.viewer).get(f"/api/v1/versions/{draft.pk}/bom.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["position", "item", "kind", "quantity"]
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil.test","x")' in names
    assert not any(n.startswith("=") for n in names)


# ---------------------------------------------------------------- routing


def test_operations_steps_and_checks(library: Library, network, client_for) -> None:
    client = client_for(network.a.manager)
    draft = ds.start_draft(actor=library.actor, design=library.stool, change_note="Routing")
    created = client.post(
        f"/api/v1/versions/{draft.pk}/operations",
        json.dumps({"name": "Sand", "kind": "finishing", "process": "laser-cutting"}),
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    op = created.json()
    assert op["process"] == "laser-cutting" and op["position"] == 2
    bad = client.post(
        f"/api/v1/versions/{draft.pk}/operations",
        json.dumps({"name": "Weld", "process": "no-such-process"}),
        content_type=JSON,
    )
    assert bad.status_code == 422 and "process" in bad.json()["details"]
    step = client.post(
        f"/api/v1/operations/{op['id']}/steps",
        json.dumps({"text": "<p>Sand with P120</p><script>x</script>"}),
        content_type=JSON,
    )
    assert step.status_code == 201 and "script" not in step.json()["text"]
    check = client.post(
        f"/api/v1/versions/{draft.pk}/qc",
        json.dumps(
            {
                "operation_id": op["id"],
                "characteristic": "Seat thickness",
                "nominal": "18",
                "tolerance_minus": "0.5",
                "tolerance_plus": "0.5",
                "unit": "mm",
            }
        ),
        content_type=JSON,
    )
    assert check.status_code == 201, check.content
    missing = client.post(
        f"/api/v1/versions/{draft.pk}/qc",
        json.dumps({"characteristic": "Colour"}),
        content_type=JSON,
    )
    assert missing.status_code == 422 and missing.json()["code"] == "acceptance_missing"
    ids = [o["id"] for o in client.get(f"/api/v1/versions/{draft.pk}").json()["operations"]]
    reordered = client.put(
        f"/api/v1/versions/{draft.pk}/operations/order",
        json.dumps({"ids": ids[::-1]}),
        content_type=JSON,
    )
    assert [o["id"] for o in reordered.json()] == ids[::-1]
    version = client.get(f"/api/v1/versions/{draft.pk}").json()
    sand = next(o for o in version["operations"] if o["id"] == op["id"])
    assert len(sand["steps"]) == 1 and sand["qc"][0]["characteristic"] == "Seat thickness"
    assert client.delete(f"/api/v1/operations/{op['id']}").status_code == 204


# ---------------------------------------------------------------- files


def test_a_file_whose_content_does_not_match_its_name_is_refused(library, network, client_for):
    client = client_for(network.a.manager)
    draft = ds.start_draft(actor=library.actor, design=library.stool, change_note="Files")
    url = f"/api/v1/versions/{draft.pk}/files"
    refused = client.post(
        url, {"file": _upload(_png(), "seat.pdf"), "role": "drawing"}, format="multipart"
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "type_mismatch"
    assert draft.files.count() == 0
    stored = client.post(
        url,
        {"file": _upload(_png(), "seat.png"), "role": "image", "is_internal": "true"},
        format="multipart",
    )
    assert stored.status_code == 201, stored.content
    meta = stored.json()
    assert meta["kind"] == "png" and meta["is_internal"] is True
    content = client.get(meta["content_url"])
    assert content.status_code == 200 and content["X-Content-Type-Options"] == "nosniff"
    assert b"".join(content.streaming_content) == _png()
    # Internal files stay with their organisation, even once released.
    ds.release_version(actor=library.actor, version=draft)
    assert client_for(network.b.owner).get(meta["content_url"]).status_code == 404
    assert Client().get(f"/api/v1/design-files/{meta['id']}").status_code == 404


# ---------------------------------------------------------------- forks and builds


def test_fork_and_build_report_of_a_public_design(library: Library, network, client_for):
    client = client_for(network.b.manager)
    fork = client.post(f"/api/v1/designs/{library.stool.pk}/forks", "{}", content_type=JSON)
    assert fork.status_code == 201, fork.content
    body = fork.json()
    assert body["organization"]["slug"] == "orgb"
    assert body["forked_from"] == {
        "design_id": library.stool.pk,
        "name": "Brussels stool",
        "version": "1.0",
    }
    assert "Brussels stool 1.0" in body["attribution"]
    report = client_for(network.b.operator).post(
        f"/api/v1/designs/{library.stool.pk}/builds",
        {
            "built_on": "2024-05-02",
            "quantity": "2",
            "site": network.b.listed_site.slug,
            "deviations": "Oak instead of birch",
            "photos": [_upload(_png(), "stool.png")],
        },
        format="multipart",
    )
    assert report.status_code == 201, report.content
    built = report.json()
    assert built["version"]["number"] == "1.0" and built["quantity"] == 2
    assert built["site"]["slug"] == network.b.listed_site.slug
    photo = Client().get(built["photos"][0]["url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    listed = Client().get(f"/api/v1/designs/{library.stool.pk}/builds").json()
    assert listed["count"] == 1
    assert Client().get("/api/v1/designs?q=brussels").json()["items"][0]["reproductions"] == 1
    viewer = client_for(network.b.viewer).post(
        f"/api/v1/designs/{library.stool.pk}/builds", {"built_on": "2024-05-02"}
    )
    assert viewer.status_code == 403


def test_a_multipart_build_report_honours_the_idempotency_key(library, network, client_for):
    client = client_for(network.a.operator)
    url = f"/api/v1/designs/{library.stool.pk}/builds"
    headers = {"HTTP_IDEMPOTENCY_KEY": "build-1"}

    def form() -> dict[str, Any]:
        return {"built_on": "2024-05-02", "photos": [_upload(_png(), "stool.png")]}

    first = client.post(url, form(), **headers)
    second = client.post(url, form(), **headers)
    assert first.status_code == second.status_code == 201, first.content
    assert second["Idempotent-Replayed"] == "true" and first.json() == second.json()
    assert Client().get(url).json()["count"] == 1


# ---------------------------------------------------------------- tokens and idempotency


DESIGN_BODY = {"name": "Planter", "kind": "product", "license": "CC-BY-SA-4.0"}


def test_idempotent_create_returns_the_first_answer(network: Any) -> None:
    client = _bearer(_token(network.a.manager))
    headers = {"HTTP_IDEMPOTENCY_KEY": "planter-1"}
    body = json.dumps(DESIGN_BODY)
    first = client.post("/api/v1/designs", body, content_type=JSON, **headers)
    second = client.post("/api/v1/designs", body, content_type=JSON, **headers)
    assert first.status_code == second.status_code == 201, first.content
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Design.objects.unscoped("test").filter(name="Planter").count() == 1
    created = first.json()
    assert created["visibility"] == "private" and created["versions"][0]["number"] == "0.1"
    assert created["licensor"] == "Org ORGA"


def test_a_read_only_token_cannot_write(library: Library, network: Any) -> None:
    read = _bearer(_token(network.a.owner, scopes=("read",)))
    assert read.get(f"/api/v1/versions/{library.stool_v1.pk}").status_code == 200
    refused = read.post("/api/v1/designs", json.dumps(DESIGN_BODY), content_type=JSON)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    patch = read.patch(
        f"/api/v1/designs/{library.stool.pk}", json.dumps({"name": "X"}), content_type=JSON
    )
    assert patch.status_code == 403
    assert not Design.objects.unscoped("test").filter(name__in=["Planter", "X"]).exists()
    write = _bearer(_token(network.a.owner))
    assert (
        write.post("/api/v1/designs", json.dumps(DESIGN_BODY), content_type=JSON).status_code == 201
    )


def test_openapi_describes_the_designs_api() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/designs",
        "/api/v1/designs/{design_id}/okh.toml",
        "/api/v1/versions/{version_id}/bom/explosion",
        "/api/v1/versions/{version_id}/files",
        "/api/v1/design-files/{file_id}/content",
    ]:
        assert path in schema["paths"], path
    listing = schema["paths"]["/api/v1/designs"]["get"]
    assert listing["summary"] == "The designs library"
