"""Managing machines and their downtime; the map and search see the changes at once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from reproduce.core.models import AuditEvent
from reproduce.network.models import Machine, MachineUnavailability, Material, Process

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _machine_data(site: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "site": site.pk,
        "name": "Trotec Speedy Zorglub",
        "process": Process.objects.get(code="laser-cutting").pk,
        "extra_processes": [Process.objects.get(code="laser-engraving").pk],
        "materials": [Material.objects.get(code="plywood").pk],
        "make": "Trotec",
        "model": "Speedy 400",
        "year": "2019",
        "quantity": "1",
        "condition": "good",
        "envelope_x_mm": "1000",
        "envelope_y_mm": "610",
        "envelope_z_mm": "",
        "max_thickness_mm": "12,5",
        "laser_power_w": "120",
        "spindle_power_w": "",
        "axes": "",
        "tolerance_class": "m",
        "hourly_rate": "45,50",
        "requires_trained_operator": "on",
        "description": "<p>CO<sub>2</sub> laser <script>steal()</script><em>fast</em></p>",
    }
    data.update(overrides)
    return data


def _names(response: Any) -> list[str]:
    return [f["properties"]["name"] for f in response.json()["features"]]


def test_manager_adds_a_machine_every_field_saved_and_searchable(
    network: Any, client_for: Any
) -> None:
    site = network.a.listed_site
    client = client_for(network.a.manager)
    form = client.get(f"/fr/manage/machines/new/?site={site.slug}").content.decode()
    assert f'<option value="{site.pk}" selected>' in form
    response = client.post("/fr/manage/machines/new/", _machine_data(site))
    assert (
        response.status_code == 302
        and response["Location"] == f"/fr/manage/sites/{site.slug}/edit/"
    )
    machine = Machine.objects.owned_by(network.a.org).get(name="Trotec Speedy Zorglub")
    assert (machine.make, machine.model, machine.year, machine.laser_power_w) == (
        "Trotec",
        "Speedy 400",
        2019,
        120,
    )
    assert machine.max_thickness_mm == Decimal("12.5") and machine.hourly_rate == Decimal("45.50")
    assert machine.requires_trained_operator and machine.tolerance_class == "m"
    assert [p.code for p in machine.extra_processes.all()] == ["laser-engraving"]
    assert [m.code for m in machine.materials.all()] == ["plywood"]
    assert "<script" not in machine.description and "<em>fast</em>" in machine.description
    assert AuditEvent.objects.filter(action="machine.created", object_id=str(machine.pk)).exists()
    # The manager's map and search find the site by the new machine's name.
    assert "Listed orga" in _names(client.get("/fr/map/sites.geojson?q=zorglub"))
    search = client.get("/fr/search/?q=zorglub")
    assert search.status_code == 200 and "Listed orga" in search.content.decode()


def test_editing_a_machine_changes_what_the_map_finds(network: Any, client_for: Any) -> None:
    machine = network.a.machine
    client = client_for(network.a.manager)
    url = f"/fr/manage/machines/{machine.pk}/edit/"
    assert "Laser orga" in client.get(url).content.decode()
    assert client.post(url, _machine_data(machine.site)).status_code == 302
    assert "Listed orga" in _names(client.get("/fr/map/sites.geojson?q=zorglub"))
    response = client.post(
        url, _machine_data(machine.site, name="Epilog Fusion Glorbax", hourly_rate="60")
    )
    assert response.status_code == 302
    machine.refresh_from_db()
    assert machine.name == "Epilog Fusion Glorbax" and machine.hourly_rate == Decimal("60.00")
    assert "Listed orga" in _names(client.get("/fr/map/sites.geojson?q=glorbax"))
    assert "Listed orga" not in _names(client.get("/fr/map/sites.geojson?q=zorglub"))


def test_a_forged_site_id_creates_nothing(network: Any, client_for: Any) -> None:
    response = client_for(network.a.manager).post(
        "/en/manage/machines/new/", _machine_data(network.b.listed_site)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_site_error"' in body and "Select a valid choice" in body
    assert 'value="Trotec Speedy Zorglub"' in body
    assert not Machine.objects.unscoped("test").filter(name="Trotec Speedy Zorglub").exists()


def test_moving_a_machine_to_a_foreign_site_is_refused(network: Any, client_for: Any) -> None:
    machine = network.a.machine
    response = client_for(network.a.manager).post(
        f"/en/manage/machines/{machine.pk}/edit/", _machine_data(network.b.listed_site)
    )
    assert response.status_code == 200
    machine.refresh_from_db()
    assert machine.site_id == network.a.listed_site.pk and machine.name == "Laser orga"


def test_invalid_numbers_are_explained(network: Any, client_for: Any) -> None:
    response = client_for(network.a.manager).post(
        "/en/manage/machines/new/",
        _machine_data(
            network.a.listed_site, year="1850", axes="12", hourly_rate="-3", quantity="0"
        ),
    )
    body = response.content.decode()
    for field in ("year", "axes", "hourly_rate", "quantity"):
        assert f'id="id_{field}_error"' in body, field
    assert not Machine.objects.unscoped("test").filter(name="Trotec Speedy Zorglub").exists()


def test_roles_and_foreign_machines(network: Any, client_for: Any) -> None:
    own = f"/fr/manage/machines/{network.a.machine.pk}"
    assert client_for(network.a.viewer).get(f"{own}/edit/").status_code == 403
    assert client_for(network.a.operator).get(f"{own}/edit/").status_code == 403
    assert client_for(network.a.operator).post(f"{own}/delete/").status_code == 403
    assert client_for(network.a.operator).get("/fr/manage/machines/new/").status_code == 403
    for machine in (network.b.machine, network.c.machine):  # foreign, and shared with A: both 404
        for suffix in ("edit", "delete", "unavailability"):
            assert (
                client_for(network.a.owner)
                .get(f"/fr/manage/machines/{machine.pk}/{suffix}/")
                .status_code
                == 404
            )
        assert (
            client_for(network.a.owner)
            .post(f"/fr/manage/machines/{machine.pk}/delete/")
            .status_code
            == 404
        )
    assert Machine.objects.unscoped("test").filter(pk=network.b.machine.pk).exists()


def test_delete_asks_first_then_deletes(network: Any, client_for: Any) -> None:
    machine = network.a.machine
    client = client_for(network.a.manager)
    assert "Listed orga" in _names(client.get("/fr/map/sites.geojson?q=laser+orga"))
    page = client.get(f"/fr/manage/machines/{machine.pk}/delete/")
    assert (
        page.status_code == 200
        and Machine.objects.owned_by(network.a.org).filter(pk=machine.pk).exists()
    )
    response = client.post(f"/fr/manage/machines/{machine.pk}/delete/")
    assert response.status_code == 302
    assert not Machine.objects.owned_by(network.a.org).filter(pk=machine.pk).exists()
    assert "Listed orga" not in _names(client.get("/fr/map/sites.geojson?q=laser+orga"))


def _block(start_in_days: int, length_hours: int = 4) -> dict[str, str]:
    start = timezone.localtime() + timedelta(days=start_in_days)
    end = start + timedelta(hours=length_hours)
    return {
        "action": "add",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
        "reason": "breakdown",
        "note": "Tube <i>cracked</i>",
    }


def test_operator_reports_and_removes_downtime(network: Any, client_for: Any) -> None:
    machine = network.a.machine
    client = client_for(network.a.operator)
    url = f"/fr/manage/machines/{machine.pk}/unavailability/"
    assert client.get(url).status_code == 200
    assert client.post(url, _block(3)).status_code == 302
    block = MachineUnavailability.objects.owned_by(network.a.org).get(machine=machine)
    assert block.reason == "breakdown" and block.note == "Tube cracked"
    reversed_block = _block(3) | {"ends_at": _block(2)["starts_at"]}
    assert 'id="id_ends_at_error"' in client.post(url, reversed_block).content.decode()
    foreign = MachineUnavailability.objects.create(
        machine=network.b.machine,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    assert client.post(url, {"action": "remove", "object_id": foreign.pk}).status_code == 404
    assert client.post(url, {"action": "remove", "object_id": block.pk}).status_code == 302
    assert not MachineUnavailability.objects.owned_by(network.a.org).exists()
    assert client_for(network.a.viewer).get(url).status_code == 403
    assert client_for(network.a.viewer).post(url, _block(5)).status_code == 403
