"""Open Know-Where export and import: schema, visibility, round trip, all-or-nothing, API."""

from __future__ import annotations

import copy
import json
from datetime import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reproduce.accounts.models import ApiToken, Membership, Organization, User
from reproduce.core.actor import ANONYMOUS, Actor
from reproduce.core.models import AuditEvent
from reproduce.network import okw, services
from reproduce.network.models import Machine, Material, OpeningHours, Process, Site

LASER = "https://en.wikipedia.org/wiki/Laser_cutting"
PLYWOOD = "https://en.wikipedia.org/wiki/Plywood"


# ---------------------------------------------------------------- helpers


def owner_actor(world: Any) -> Actor:
    return Actor(user=world.owner, memberships={world.org.pk: "owner"})


def schema_errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in okw.network_validator().iter_errors(document)
    ]


def rows() -> tuple[int, ...]:
    why = "counting every row in a test"
    return (
        Site.objects.unscoped(why).count(),
        Machine.objects.unscoped(why).count(),
        OpeningHours.objects.unscoped(why).count(),
        AuditEvent.objects.count(),
    )


def new_org(slug: str) -> tuple[Organization, Actor, User]:
    org = Organization.objects.create(name=f"Org {slug}", slug=slug, kind="sme")
    user = User.objects.create_user(email=f"owner@{slug}.test", password="pw-Test-12345")
    Membership.objects.unscoped("test").create(user=user, organization=org, role="owner")
    return org, Actor(user=user, memberships={org.pk: "owner"}), user


def facility(**changes: Any) -> dict[str, Any]:
    """One valid facility written by hand, as another platform might."""
    data: dict[str, Any] = {
        "name": "Atelier du Canal",
        "description": "<p>Wood and <strong>laser</strong>.</p>",
        "location": {
            "address": {
                "street": "Quai des Charbonnages",
                "number": "30",
                "postalCode": "1080",
                "city": "Molenbeek-Saint-Jean",
                "country": "BE",
            },
            "gps": {"latitude": 50.8551234, "longitude": 4.3401},
        },
        "accessType": "Restricted",
        "wheelchairAccessibility": "Partial",
        "languages": ["fr", "nl"],
        "manufacturingProcesses": [LASER],
        "equipment": [
            {
                "manufacturingProcess": [LASER],
                "make": "Trotec",
                "model": "Speedy 400",
                "quantity": 1,
                "condition": "Good",
                "materialsWorked": [PLYWOOD],
                "x-reproduce": {
                    "name": "Big laser",
                    "envelope": {"x": 1000, "y": 610},
                    "laserPowerW": 120,
                    "toleranceClass": "m",
                    "hourlyRate": 45.5,
                },
            }
        ],
        "x-reproduce": {"openingHours": [{"weekday": 0, "opens": "09:00", "closes": "17:00"}]},
    }
    data.update(changes)
    return data


def doc(*facilities: dict[str, Any]) -> dict[str, Any]:
    return okw.network_document(list(facilities))


def pointers(report: okw.ImportReport) -> list[str]:
    return [e.pointer for e in report.rejected]


# ---------------------------------------------------------------- export


@pytest.mark.django_db
def test_every_export_validates_against_the_schema(network: Any) -> None:
    coordinator = Actor(user=network.coordinator, network_roles=frozenset({"coordinator"}))
    for actor in (ANONYMOUS, owner_actor(network.a), owner_actor(network.b), coordinator):
        document = okw.export_facilities(actor)
        assert document["okw"] == "1.0" and document["generator"].startswith("ReProduce")
        assert schema_errors(document) == []


@pytest.mark.django_db
def test_export_respects_each_organisations_sharing_choices(network: Any) -> None:
    public = okw.export_facilities(ANONYMOUS)
    names = [f["name"] for f in public["facilities"]]
    assert names == ["Listed orga", "Listed orgb", "Listed orgc"]  # unlisted sites stay hidden
    text = json.dumps(public)
    assert "hourlyRate" not in text and "contact" not in text and "equipment" not in text
    for world in (network.a, network.b, network.c):
        assert not [c for c in world.private_canaries if c in text]

    exported = okw.export_facilities(owner_actor(network.a))["facilities"]
    mine = {f["x-reproduce"]["site"]: f for f in exported}
    own = mine[network.a.listed_site.slug]
    assert network.a.unlisted_site.slug in mine  # its own unlisted site
    assert own["contact"]["email"].startswith("contact-CANARY-A")
    assert own["equipment"][0]["x-reproduce"]["hourlyRate"] == 47.13
    shared = mine[network.c.listed_site.slug]  # C shares its machines with A, not its prices
    assert [e["x-reproduce"]["name"] for e in shared["equipment"]] == ["Laser orgc"]
    assert "hourlyRate" not in shared["equipment"][0]["x-reproduce"] and "contact" not in shared
    foreign = mine[network.b.listed_site.slug]  # B shares nothing with A
    assert "equipment" not in foreign and "contact" not in foreign
    text = json.dumps(mine)
    assert not [c for c in network.b.private_canaries + network.c.private_canaries if c in text]


@pytest.mark.django_db
def test_public_machines_are_exported_without_prices(network: Any) -> None:
    services.set_sharing(
        actor=owner_actor(network.a),
        organization=network.a.org,
        group="machines",
        audience="public",
    )
    public = {f["name"]: f for f in okw.export_facilities(ANONYMOUS)["facilities"]}
    equipment = public["Listed orga"]["equipment"]
    assert equipment[0]["manufacturingProcess"] == [LASER]
    assert equipment[0]["materialsWorked"] == [PLYWOOD]
    assert equipment[0]["x-reproduce"]["envelope"] == {"x": 1000, "y": 600}
    assert "hourlyRate" not in equipment[0]["x-reproduce"]
    assert public["Listed orga"]["typicalMaterials"] == [PLYWOOD]


def _grow(world: Any, sites: int, machines: int) -> None:
    actor = owner_actor(world)
    laser, plywood = Process.objects.get(code="laser-cutting"), Material.objects.get(code="plywood")
    for i in range(sites):
        site = services.create_site(
            actor=actor,
            organization=world.org,
            values={
                "name": f"Extra {i}",
                "street": f"Rue Extra {i + 1}",
                "postcode": "1000",
                "latitude": Decimal("50.85"),
                "longitude": Decimal("4.35"),
            },
            processes=[laser],
        )
        services.set_opening_hours(
            actor=actor,
            site=site,
            periods=[services.Period(weekday=1, opens=time(8), closes=time(12))],
        )
        for j in range(machines):
            services.create_machine(
                actor=actor,
                site=site,
                process=laser,
                values={"name": f"M{j}", "hourly_rate": Decimal("10")},
                materials=[plywood],
                extra_processes=[laser],
            )


@pytest.mark.django_db
def test_export_runs_a_constant_number_of_queries(
    network: Any, django_assert_max_num_queries: Any
) -> None:
    actor = owner_actor(network.a)
    with CaptureQueriesContext(connection) as small:
        small_doc = okw.export_facilities(actor)
    _grow(network.a, sites=12, machines=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        big_doc = okw.export_facilities(actor)
    assert len(big_doc["facilities"]) == len(small_doc["facilities"]) + 12
    assert len(small.captured_queries) <= 10


@pytest.mark.django_db
def test_export_order_is_stable(network: Any) -> None:
    actor = owner_actor(network.a)
    first, second = okw.export_facilities(actor), okw.export_facilities(actor)
    assert first["facilities"] == second["facilities"]


# ---------------------------------------------------------------- import


def _adoptable(document: dict[str, Any], organization_slug: str) -> dict[str, Any]:
    """Facilities of one organisation, ready to be adopted by another one."""
    adopted = copy.deepcopy(document)
    adopted["facilities"] = [
        f for f in adopted["facilities"] if f["x-reproduce"]["organization"] == organization_slug
    ]
    for item in adopted["facilities"]:
        item["x-reproduce"].pop("organization")
        item["x-reproduce"].pop("enterpriseNumber", None)
    return adopted


def _site_picture(site: Site) -> tuple[Any, ...]:
    hours = [(h.weekday, h.opens, h.closes) for h in site.opening_hours.all()]
    return (
        site.name,
        site.street,
        site.postcode,
        site.latitude,
        site.longitude,
        site.commune_id,
        site.access_type,
        site.is_listed,
        site.email,
        sorted(p.code for p in site.processes.all()),
        hours,
    )


def _machine_picture(machine: Machine) -> tuple[Any, ...]:
    return (
        machine.name,
        machine.process.code,
        sorted(m.code for m in machine.materials.all()),
        machine.envelope_x_mm,
        machine.envelope_y_mm,
        machine.tolerance_class,
        machine.hourly_rate,
        machine.description,
        machine.quantity,
        machine.condition,
    )


@pytest.mark.django_db
def test_round_trip_into_another_organisation_then_nothing_changes(network: Any) -> None:
    document = _adoptable(okw.export_facilities(owner_actor(network.a)), "orga")
    org_d, actor_d, _user = new_org("orgd")

    report = okw.import_facilities(
        actor=actor_d, organization=org_d, document=document, dry_run=False
    )

    assert report.ok and report.written, report.rejected
    assert report.counts() == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    source = {s.name: s for s in Site.objects.owned_by(network.a.org)}
    copied = {s.name: s for s in Site.objects.owned_by(org_d)}
    assert {n: _site_picture(s) for n, s in copied.items()} == {
        n: _site_picture(s) for n, s in source.items()
    }
    assert [_machine_picture(m) for m in Machine.objects.owned_by(org_d)] == [
        _machine_picture(m) for m in Machine.objects.owned_by(network.a.org)
    ]
    assert all(s.slug != source[n].slug for n, s in copied.items())  # slugs are network-wide
    actions = list(
        AuditEvent.objects.filter(organization_id_ref=org_d.pk).values_list("action", flat=True)
    )
    assert actions.count("site.created") == 2 and actions.count("okw.imported") == 1

    before = rows()
    again = okw.import_facilities(
        actor=actor_d, organization=org_d, document=document, dry_run=False
    )
    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert rows() == before


@pytest.mark.django_db
def test_importing_ones_own_export_changes_nothing(network: Any) -> None:
    document = okw.export_facilities(owner_actor(network.a))
    document["facilities"] = [
        f for f in document["facilities"] if f["x-reproduce"]["organization"] == "orga"
    ]
    before = rows()
    report = okw.import_facilities(
        actor=owner_actor(network.a), organization=network.a.org, document=document, dry_run=False
    )
    assert report.counts() == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert rows() == before


@pytest.mark.django_db
def test_an_import_updates_only_what_changed(network: Any) -> None:
    org, actor, _user = new_org("orgd")
    okw.import_facilities(actor=actor, organization=org, document=doc(facility()), dry_run=False)
    changed = facility(name="Atelier du Canal")
    changed["location"]["gps"]["latitude"] = 50.86
    changed["equipment"][0]["quantity"] = 2
    changed["x-reproduce"]["openingHours"].append(
        {"weekday": 2, "opens": "10:00", "closes": "12:00"}
    )

    report = okw.import_facilities(
        actor=actor, organization=org, document=doc(changed), dry_run=False
    )

    assert [(e.kind, e.fields) for e in report.updated] == [
        ("facility", ["location/gps/latitude", "x-reproduce/openingHours"]),
        ("equipment", ["quantity"]),
    ]
    site = Site.objects.owned_by(org).get()
    assert site.latitude == Decimal("50.86000") and site.opening_hours.count() == 2
    assert site.description == "<p>Wood and <strong>laser</strong>.</p>"
    machine = Machine.objects.owned_by(org).get()
    assert (machine.quantity, machine.laser_power_w, machine.hourly_rate) == (
        2,
        120,
        Decimal("45.50"),
    )


@pytest.mark.django_db
def test_a_dry_run_reports_everything_and_writes_nothing(network: Any) -> None:
    org, actor, _user = new_org("orgd")
    before = rows()
    report = okw.import_facilities(
        actor=actor, organization=org, document=doc(facility()), dry_run=True
    )
    assert report.ok and not report.written
    assert [(e.kind, e.name) for e in report.created] == [
        ("facility", "Atelier du Canal"),
        ("equipment", "Big laser"),
    ]
    assert rows() == before


@pytest.mark.django_db
def test_wikipedia_addresses_are_recognised_in_their_usual_spellings(network: Any) -> None:
    org, actor, _user = new_org("orgd")
    item = facility(
        manufacturingProcesses=[
            "http://en.m.wikipedia.org/wiki/Laser%20cutting/",
            "https://en.wikipedia.org/wiki/Milling_%28machining%29#Computer_numerical_control",
        ]
    )
    item["equipment"][0]["materialsWorked"] = ["https://en.wikipedia.org/wiki/plywood"]
    report = okw.import_facilities(actor=actor, organization=org, document=doc(item), dry_run=False)
    assert report.ok, report.rejected
    site = Site.objects.owned_by(org).get()
    expected = Process.objects.filter(
        wikipedia_url__in=[
            LASER,
            "https://en.wikipedia.org/wiki/Milling_(machining)#Computer_numerical_control",
        ]
    )
    assert {p.code for p in site.processes.all()} == {p.code for p in expected}
    assert [m.code for m in Machine.objects.owned_by(org).get().materials.all()] == ["plywood"]


def _with(path: list[Any], value: Any, *, delete: bool = False) -> dict[str, Any]:
    item: Any = facility()
    target = item
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return item


BAD_FILES = {
    "unknown field": (_with(["colour"], "red"), "/facilities/1/colour", "colour"),
    "misspelt field": (
        _with(["x-reproduce", "lsited"], True),
        "/facilities/1/x-reproduce/lsited",
        "listed",
    ),
    "malformed latitude": (
        _with(["location", "gps", "latitude"], "fifty"),
        "/facilities/1/location/gps/latitude",
        "number",
    ),
    "outside Belgium": (
        _with(["location", "gps"], {"latitude": 48.8566, "longitude": 2.3522}),
        "/facilities/1/location/gps",
        "outside Belgium",
    ),
    "invalid postcode": (
        _with(["location", "address", "postalCode"], "10800"),
        "/facilities/1/location/address/postalCode",
        "postcode",
    ),
    "missing name": (_with(["name"], None, delete=True), "/facilities/1/name", "required"),
    "unknown process": (
        _with(["manufacturingProcesses"], ["https://en.wikipedia.org/wiki/Alchemy"]),
        "/facilities/1/manufacturingProcesses/0",
        "Alchemy",
    ),
    "forged organisation": (
        _with(["x-reproduce", "organization"], "orgb"),
        "/facilities/1/x-reproduce/organization",
        "Forged organisation",
    ),
    "negative quantity": (
        _with(["equipment", 0, "quantity"], -1),
        "/facilities/1/equipment/0/quantity",
        "-1",
    ),
    "unknown material": (
        _with(["equipment", 0, "materialsWorked"], ["https://en.wikipedia.org/wiki/Kryptonite"]),
        "/facilities/1/equipment/0/materialsWorked/0",
        "Kryptonite",
    ),
    "rate with three decimals": (
        _with(["equipment", 0, "x-reproduce", "hourlyRate"], 12.345),
        "/facilities/1/equipment/0/x-reproduce/hourlyRate",
        "2",
    ),
    "closes before it opens": (
        _with(
            ["x-reproduce", "openingHours"], [{"weekday": 0, "opens": "17:00", "closes": "09:00"}]
        ),
        "/facilities/1/x-reproduce/openingHours/0",
        "close after",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_a_bad_facility_is_rejected_with_its_pointer_and_nothing_is_written(
    network: Any, case: str
) -> None:
    bad, expected_pointer, words = BAD_FILES[case]
    good = facility(name="Another workshop")  # a valid facility in the same file is not kept
    before = rows()

    report = okw.import_facilities(
        actor=owner_actor(network.a),
        organization=network.a.org,
        document=doc(good, bad),
        dry_run=False,
    )

    assert not report.ok and not report.written
    assert expected_pointer in pointers(report), report.rejected
    entry = next(e for e in report.rejected if e.pointer == expected_pointer)
    assert words in entry.reason and entry.facility == 1
    assert report.created == [] and report.updated == []
    assert rows() == before


@pytest.mark.django_db
def test_a_broken_envelope_is_reported_without_looking_further(network: Any) -> None:
    report = okw.import_facilities(
        actor=owner_actor(network.a),
        organization=network.a.org,
        document={"okw": "9.9", "facilities": "none"},
        dry_run=True,
    )
    assert pointers(report) == ["/facilities", "/okw"]
    assert all(e.kind == "document" for e in report.rejected)


@pytest.mark.django_db
def test_the_same_site_twice_in_a_file_is_rejected(network: Any) -> None:
    org, actor, _user = new_org("orgd")
    report = okw.import_facilities(
        actor=actor, organization=org, document=doc(facility(), facility()), dry_run=False
    )
    assert pointers(report) == ["/facilities/1"]
    assert Site.objects.owned_by(org).count() == 0


@pytest.mark.django_db
def test_a_viewer_cannot_import(network: Any) -> None:
    viewer = Actor(user=network.a.viewer, memberships={network.a.org.pk: "viewer"})
    with pytest.raises(PermissionDenied):
        okw.import_facilities(
            actor=viewer, organization=network.a.org, document=doc(facility()), dry_run=True
        )


def test_parse_document_refuses_what_is_not_a_json_object() -> None:
    for raw, words in [
        (b"\xff\xfe", "UTF-8"),
        (b"{oops", "line 1"),
        (b"[1]", "one JSON object"),
        (b'{"a": 1, "a": 2}', "twice"),
        (b'{"a": NaN}', "NaN"),
        (b" " * (okw.MAX_DOCUMENT_BYTES + 1), "5 MB"),
    ]:
        with pytest.raises(okw.OkwDocumentError) as exc:
            okw.parse_document(raw)
        assert words in exc.value.message


def test_wikipedia_key_tolerates_the_usual_variants() -> None:
    key = okw.wikipedia_key(LASER)
    for variant in [
        "http://en.wikipedia.org/wiki/Laser_cutting",
        LASER + "/",
        "https://en.m.wikipedia.org/wiki/Laser_cutting",
        "https://en.wikipedia.org/wiki/Laser%20cutting",
        "https://EN.wikipedia.org/wiki/laser_cutting?oldid=1",
    ]:
        assert okw.wikipedia_key(variant) == key
    assert okw.wikipedia_key(LASER + "#History") != key


# ---------------------------------------------------------------- API


def _token(user: User, scopes: list[str]) -> str:
    raw, prefix, token_hash = ApiToken.generate()
    ApiToken.objects.create(
        user=user, name="test", prefix=prefix, token_hash=token_hash, scopes=scopes
    )
    return raw


def _post(client: Any, body: bytes | str, token: str | None = None, **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.generic(
        "POST", f"/api/v1/okw/import?{query}", data=body, content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_api_lists_facilities_page_by_page(network: Any, client: Any) -> None:
    response = client.get("/api/v1/okw/facilities?limit=2&offset=1")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [f["name"] for f in body["items"]] == ["Listed orgb", "Listed orgc"]
    assert schema_errors(doc(*body["items"])) == []
    document = client.get("/api/v1/okw/document").json()
    assert schema_errors(document) == [] and len(document["facilities"]) == 3
    schema = client.get("/api/v1/okw/schemas/facility").json()
    assert schema["$id"] == "urn:reproduce:okw:1.0:facility"


@pytest.mark.django_db
def test_api_import_creates_and_reports(network: Any, client: Any) -> None:
    token = _token(network.a.manager, ["write"])
    body = json.dumps(doc(facility()))

    dry = _post(client, body, token, organization="orga", dry_run="true")
    assert dry.status_code == 200, dry.content
    assert dry.json()["counts"]["created"] == 2 and not dry.json()["written"]
    assert not Site.objects.owned_by(network.a.org).filter(name="Atelier du Canal").exists()

    done = _post(client, body, token, organization="orga")
    assert done.status_code == 200 and done.json()["written"]
    assert Site.objects.owned_by(network.a.org).filter(name="Atelier du Canal").exists()


@pytest.mark.django_db
def test_api_import_of_a_rejected_document_answers_422_with_the_report(
    network: Any, client: Any
) -> None:
    token = _token(network.a.manager, ["write"])
    bad = facility()
    bad["location"]["gps"]["latitude"] = "north"
    response = _post(client, json.dumps(doc(bad)), token, organization="orga")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "okw_invalid"
    assert body["details"]["rejected"][0]["pointer"] == "/facilities/0/location/gps/latitude"

    not_json = _post(client, "this is not json", token, organization="orga")
    assert not_json.status_code == 422 and not_json.json()["code"] == "okw_invalid"


@pytest.mark.django_db
def test_api_import_refuses_viewers_foreigners_and_huge_files(network: Any, client: Any) -> None:
    body = json.dumps(doc(facility()))
    viewer = _post(client, body, _token(network.a.viewer, ["write"]), organization="orga")
    assert viewer.status_code == 403
    read_only = _post(client, body, _token(network.a.manager, ["read"]), organization="orga")
    assert read_only.status_code == 403
    manager = _token(network.a.manager, ["write"])
    assert _post(client, body, manager, organization="orgb").status_code == 404
    assert _post(client, body, manager, organization="no-such-org").status_code == 404
    assert _post(client, body).status_code == 401

    huge = _post(client, b" " * (okw.MAX_DOCUMENT_BYTES + 10), manager, organization="orga")
    assert huge.status_code == 413 and huge.json()["code"] == "request_too_large"
    assert not Site.objects.owned_by(network.a.org).filter(name="Atelier du Canal").exists()


@pytest.mark.django_db
def test_api_accepts_files_larger_than_the_site_wide_request_limit(
    network: Any, client: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    item = facility(description="x" * 4000)
    response = client.generic(
        "POST",
        "/api/v1/okw/import?organization=orga&dry_run=true",
        data=json.dumps(doc(item)),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {_token(network.a.manager, ['write'])}",
        HTTP_IDEMPOTENCY_KEY="big-one",
    )
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_api_import_with_the_same_idempotency_key_runs_once(network: Any, client: Any) -> None:
    token = _token(network.a.manager, ["write"])
    body = json.dumps(doc(facility()))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_IDEMPOTENCY_KEY": "okw-1"}
    url = "/api/v1/okw/import?organization=orga"

    first = client.generic("POST", url, data=body, content_type="application/json", **headers)
    events = AuditEvent.objects.count()
    second = client.generic("POST", url, data=body, content_type="application/json", **headers)

    assert first.status_code == second.status_code == 200
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"
    assert first.json()["counts"]["created"] == 2
    assert AuditEvent.objects.count() == events
    assert Site.objects.owned_by(network.a.org).filter(name="Atelier du Canal").count() == 1


# ---------------------------------------------------------------- command


@pytest.mark.django_db
def test_command_exports_the_public_view_and_imports_a_file(
    network: Any, tmp_path: Any, capsys: Any
) -> None:
    exported = tmp_path / "network.json"
    call_command("okw", "export", "--output", str(exported))
    document = json.loads(exported.read_text())
    assert schema_errors(document) == [] and "hourlyRate" not in exported.read_text()

    source = tmp_path / "facility.json"
    source.write_text(json.dumps(doc(facility())))
    before = rows()
    call_command("okw", "import", str(source), "--organization", "orga", "--dry-run")
    assert "dry run, nothing saved" in capsys.readouterr().out and rows() == before
    call_command("okw", "import", str(source), "--organization", "orga")
    assert "2 created" in capsys.readouterr().out
    assert Site.objects.owned_by(network.a.org).filter(name="Atelier du Canal").exists()


@pytest.mark.django_db
def test_command_refuses_a_bad_file(network: Any, tmp_path: Any) -> None:
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(doc(facility(colour="red"))))
    with pytest.raises(CommandError):
        call_command("okw", "import", str(source), "--organization", "orga")
    source.write_text("{")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("okw", "import", str(source), "--organization", "orga")


# ---------------------------------------------------------------- pages


@pytest.mark.django_db
def test_import_page_checks_then_imports_for_real(
    network: Any, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = client_for(network.a.manager)
    assert client.get("/en/okw/import/").status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("canal.txt", json.dumps(doc(facility())).encode(), "text/plain")
    checked = client.post("/en/okw/import/", {"file": upload, "dry_run": "on"})
    assert checked.status_code == 200
    assert b"Would be created" in checked.content and b"Import for real" in checked.content
    assert not Site.objects.owned_by(network.a.org).filter(name="Atelier du Canal").exists()

    pending = checked.context["pending"]
    done = client.post("/en/okw/import/", {"pending": pending})
    assert done.status_code == 200 and done.context["report"].written
    assert Site.objects.owned_by(network.a.org).filter(name="Atelier du Canal").exists()
    again = client.post("/en/okw/import/", {"pending": pending})  # used once only
    assert "confirm_error" in again.context


@pytest.mark.django_db
def test_import_page_shows_rejections_and_refuses_what_is_not_json(
    network: Any, client_for: Any
) -> None:
    client = client_for(network.a.manager)
    pasted = client.post(
        "/en/okw/import/", {"text": json.dumps(doc(facility(colour="red"))), "dry_run": "on"}
    )
    assert b"/facilities/0/colour" in pasted.content and "pending" not in pasted.context
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("network.json", b"\x89PNG\r\n\x1a\n", "application/json")
    refused = client.post("/en/okw/import/", {"file": fake})
    assert refused.context["form"].errors and "report" not in refused.context


@pytest.mark.django_db
def test_import_page_is_for_managers_and_export_for_everyone(network: Any, client_for: Any) -> None:
    assert client_for(None).get("/en/okw/import/").status_code == 302
    assert client_for(network.a.viewer).get("/en/okw/import/").status_code == 403
    assert client_for(network.outsider).get("/en/okw/import/").status_code == 403
    assert client_for(network.coordinator).get("/en/okw/import/").status_code == 403
    response = client_for(None).get("/en/okw/export.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert schema_errors(json.loads(response.content)) == []


# ---------------------------------------------------------------- the demo network


@pytest.mark.django_db
def test_the_demo_network_exports_validly_and_reimports_unchanged() -> None:
    from reproduce.network.demo import load_demo_network

    load_demo_network()
    coordinator = Actor(network_roles=frozenset({"coordinator"}))
    assert schema_errors(okw.export_facilities(ANONYMOUS)) == []
    assert schema_errors(okw.export_facilities(coordinator)) == []
    for org in Organization.objects.filter(sites__isnull=False).distinct():
        actor = Actor(memberships={org.pk: "owner"})
        document = okw.export_facilities(actor)
        document["facilities"] = [
            f for f in document["facilities"] if f["x-reproduce"]["organization"] == org.slug
        ]
        report = okw.import_facilities(
            actor=actor, organization=org, document=document, dry_run=True
        )
        assert report.ok and not report.created and not report.updated, (org.slug, report.updated)
