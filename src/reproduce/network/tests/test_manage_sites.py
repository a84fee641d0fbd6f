"""Managing sites: details, opening hours, closures — and the map sees the changes at once."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from reproduce.core.models import AuditEvent
from reproduce.network.models import Closure, OpeningHours, Process, Site

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _site_data(org: Any | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Atelier Ninove",
        "description": "",
        "street": "Chaussée de Ninove 144",
        "postcode": "1080",
        "city": "Molenbeek-Saint-Jean",
        "latitude": "50,85123",
        "longitude": "4.32456",
        "access_type": "public",
        "wheelchair_access": "partial",
        "languages": ["fr", "nl", "ar"],
        "email": "",
        "phone": "",
        "processes": [],
        "is_listed": "on",
    }
    if org is not None:
        data["organization"] = org.pk
    data.update(overrides)
    return data


def _names(response: Any) -> list[str]:
    return [f["properties"]["name"] for f in response.json()["features"]]


def test_manager_creates_a_site_with_commune_from_postcode(network: Any, client_for: Any) -> None:
    sewing = Process.objects.get(code="sewing")
    client = client_for(network.a.manager)
    assert client.get("/fr/manage/sites/new/").status_code == 200
    response = client.post(
        "/fr/manage/sites/new/", _site_data(network.a.org, processes=[sewing.pk])
    )
    assert response.status_code == 302
    site = Site.objects.owned_by(network.a.org).get(name="Atelier Ninove")
    assert response["Location"] == f"/fr/manage/sites/{site.slug}/edit/"
    assert site.commune is not None and site.commune.nis_code == "21012"
    assert site.latitude == Decimal("50.85123")  # typed with a comma
    assert site.languages == ["fr", "nl", "ar"]
    assert list(site.processes.all()) == [sewing]
    assert AuditEvent.objects.filter(action="site.created", object_id=str(site.pk)).exists()
    assert "Atelier Ninove" in _names(client_for(None).get("/fr/map/sites.geojson?q=ninove"))


def test_coordinates_outside_belgium_are_refused_with_a_clear_error(
    network: Any, client_for: Any
) -> None:
    response = client_for(network.a.manager).post(
        "/en/manage/sites/new/", _site_data(network.a.org, latitude="4.32456", longitude="50.85123")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "are outside Belgium" in body and "swapped" in body
    assert 'id="id_latitude_error"' in body
    assert 'value="Atelier Ninove"' in body  # nothing typed is lost
    assert not Site.objects.unscoped("test").filter(name="Atelier Ninove").exists()


def test_a_forged_organisation_id_creates_nothing(network: Any, client_for: Any) -> None:
    response = client_for(network.a.manager).post(
        "/en/manage/sites/new/", _site_data(network.b.org)
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Site.objects.unscoped("test").filter(name="Atelier Ninove").exists()


def test_a_forged_process_id_is_refused(network: Any, client_for: Any) -> None:
    response = client_for(network.a.manager).post(
        "/en/manage/sites/new/", _site_data(network.a.org, processes=[987654])
    )
    assert response.status_code == 200
    assert 'id="id_processes_error"' in response.content.decode()
    assert not Site.objects.unscoped("test").filter(name="Atelier Ninove").exists()


def test_editing_a_site_sanitises_html_and_updates_the_map(network: Any, client_for: Any) -> None:
    site = network.a.listed_site
    client = client_for(network.a.manager)
    url = f"/fr/manage/sites/{site.slug}/edit/"
    page = client.get(url)
    assert page.status_code == 200 and "Laser orga" in page.content.decode()
    response = client.post(
        url,
        _site_data(
            name="Fablab Zinneke",
            postcode="1000",
            latitude="50.8466",
            longitude="4.3528",
            description=(
                '<p onclick="x()">Open <script>alert("x")</script><strong>daily</strong></p>'
            ),
        ),
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.name == "Fablab Zinneke"
    assert "<script" not in site.description and "onclick" not in site.description
    assert "<strong>daily</strong>" in site.description
    assert site.commune is not None and site.commune.nis_code == "21004"  # 1000 → Bruxelles
    assert "Fablab Zinneke" in _names(client_for(None).get("/fr/map/sites.geojson?q=zinneke"))


def test_viewer_gets_403_and_foreign_site_404(network: Any, client_for: Any) -> None:
    own = f"/fr/manage/sites/{network.a.listed_site.slug}/edit/"
    assert client_for(network.a.viewer).get(own).status_code == 403
    assert client_for(network.a.operator).post(own, _site_data(name="Hacked")).status_code == 403
    network.a.listed_site.refresh_from_db()
    assert network.a.listed_site.name == "Listed orga"
    for suffix in ("edit", "hours", "closures"):
        foreign = f"/fr/manage/sites/{network.b.listed_site.slug}/{suffix}/"
        assert client_for(network.a.owner).get(foreign).status_code == 404
        assert (
            client_for(network.a.owner).post(foreign, _site_data(name="Hacked")).status_code == 404
        )
    assert client_for(network.a.viewer).get("/fr/manage/sites/new/").status_code == 403
    assert client_for(network.outsider).get("/fr/manage/sites/new/").status_code == 403


def _hours_post(rows: list[tuple[str, str, str]], **extra: str) -> dict[str, str]:
    data = {
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for i, (day, opens, closes) in enumerate(rows):
        data.update(
            {f"hours-{i}-weekday": day, f"hours-{i}-opens": opens, f"hours-{i}-closes": closes}
        )
    data.update(extra)
    return data


def _next(weekday: int) -> date:
    today = date.today() + timedelta(days=1)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def test_manager_edits_opening_hours_and_the_map_follows(network: Any, client_for: Any) -> None:
    site = network.a.listed_site
    client = client_for(network.a.manager)
    url = f"/fr/manage/sites/{site.slug}/hours/"
    page = client.get(url).content.decode()
    assert page.count('name="hours-') > 10 and 'value="09:00"' in page
    response = client.post(
        url, _hours_post([("5", "10:00", "13:00"), ("5", "14:00", "18:00"), ("", "", "")])
    )
    assert response.status_code == 302
    hours = [
        (h.weekday, h.opens, h.closes)
        for h in OpeningHours.objects.owned_by(network.a.org).filter(site=site)
    ]
    assert hours == [(5, time(10), time(13)), (5, time(14), time(18))]
    # Only open on Saturdays now: the map finds the site for a Saturday, not for a Monday.
    saturday, monday = _next(5).isoformat(), _next(0).isoformat()
    found = client.get(
        f"/fr/map/sites.geojson?available_from={saturday}&available_to={saturday}&q=listed"
    )
    assert "Listed orga" in _names(found)
    closed = client.get(
        f"/fr/map/sites.geojson?available_from={monday}&available_to={monday}&q=listed"
    )
    assert "Listed orga" not in _names(closed)


def test_overlapping_periods_are_refused_and_nothing_changes(network: Any, client_for: Any) -> None:
    site = network.a.listed_site
    before = OpeningHours.objects.owned_by(network.a.org).filter(site=site).count()
    response = client_for(network.a.manager).post(
        f"/en/manage/sites/{site.slug}/hours/",
        _hours_post([("1", "09:00", "13:00"), ("1", "12:00", "17:00")]),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Two periods of the same day overlap (Tuesday)" in body
    assert "Overlaps the period 09:00\u201313:00" in body
    assert 'value="12:00"' in body
    assert OpeningHours.objects.owned_by(network.a.org).filter(site=site).count() == before


def test_incomplete_or_reversed_rows_are_explained(network: Any, client_for: Any) -> None:
    site = network.a.listed_site
    response = client_for(network.a.manager).post(
        f"/en/manage/sites/{site.slug}/hours/",
        _hours_post([("2", "09:00", ""), ("3", "17:00", "09:00")]),
    )
    body = response.content.decode()
    assert "Fill this in too" in body and "must close after it opens" in body


def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(network: Any, client_for: Any) -> None:
    site = network.a.listed_site
    before = OpeningHours.objects.owned_by(network.a.org).filter(site=site).count()
    response = client_for(network.a.manager).post(
        f"/fr/manage/sites/{site.slug}/hours/", _hours_post([("6", "10:00", "12:00")], add_row="1")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="10:00"' in body and 'name="hours-1-weekday"' in body
    assert OpeningHours.objects.owned_by(network.a.org).filter(site=site).count() == before


def test_removing_a_row_with_the_delete_box(network: Any, client_for: Any) -> None:
    site = network.a.listed_site
    client_for(network.a.manager).post(
        f"/fr/manage/sites/{site.slug}/hours/",
        _hours_post([("0", "09:00", "17:00"), ("1", "09:00", "17:00")], **{"hours-1-DELETE": "on"}),
    )
    assert [h.weekday for h in OpeningHours.objects.owned_by(network.a.org).filter(site=site)] == [
        0
    ]


def test_closures_are_added_and_removed(network: Any, client_for: Any) -> None:
    site = network.a.listed_site
    client = client_for(network.a.manager)
    url = f"/fr/manage/sites/{site.slug}/closures/"
    start = date.today() + timedelta(days=60)
    response = client.post(
        url,
        {
            "action": "add",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=2)).isoformat(),
            "reason": "<b>Inventaire</b>",
        },
    )
    assert response.status_code == 302
    closure = Closure.objects.owned_by(network.a.org).get(site=site, start_date=start)
    assert closure.reason == "Inventaire"
    reversed_dates = client.post(
        url,
        {
            "action": "add",
            "start_date": start.isoformat(),
            "end_date": (start - timedelta(days=1)).isoformat(),
        },
    )
    assert 'id="id_end_date_error"' in reversed_dates.content.decode()
    foreign = Closure.objects.owned_by(network.b.org).first()
    assert client.post(url, {"action": "remove", "object_id": foreign.pk}).status_code == 404
    assert Closure.objects.owned_by(network.b.org).filter(pk=foreign.pk).exists()
    assert client.post(url, {"action": "remove", "object_id": closure.pk}).status_code == 302
    assert not Closure.objects.owned_by(network.a.org).filter(pk=closure.pk).exists()
