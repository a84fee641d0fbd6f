"""The public face of the network: home, map, capability search and site pages."""

# The product writes typographic signs (×, –, “”): the tests look for them as written.

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from reproduce.core.actor import Actor
from reproduce.network import services
from reproduce.network.models import Commune, Material, Process, Site

HTMX = {"HX-Request": "true"}


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _owner_actor(world: Any) -> Actor:
    return Actor(user=world.owner, memberships={world.org.pk: "owner"})


def _fr(message: str) -> str:
    with translation.override("fr"):
        return str(translation.gettext(message))


# ------------------------------------------------------------------ home


def test_home_shows_counts_search_and_links(network: Any, client: Any) -> None:
    html = _html(client.get("/en/"))
    assert 'action="/en/search/"' in html and 'name="q"' in html
    assert 'href="/en/map/"' in html
    assert 'href="/en/accounts/signup/"' in html
    # Three listed sites (the unlisted ones stay hidden); visitors see no machine of the fixture.
    assert re.search(r"<strong>3</strong>\s*workshops", html)
    assert re.search(r"<strong>0</strong>\s*machines", html)
    assert "badge-demo" not in html


def test_home_says_when_demonstration_data_is_loaded(network: Any, client: Any) -> None:
    services.create_site(
        actor=_owner_actor(network.a),
        organization=network.a.org,
        is_demo=True,
        values={
            "name": "Demo workshop",
            "street": "Rue Ransfort 1",
            "postcode": "1080",
            "latitude": Decimal("50.85"),
            "longitude": Decimal("4.33"),
        },
    )
    assert "badge-demo" in _html(client.get("/en/"))


# ------------------------------------------------------------------ map


def test_map_page_lists_the_sites_and_embeds_them_for_the_map(network: Any, client: Any) -> None:
    html = _html(client.get("/en/map/"))
    for world in (network.a, network.b, network.c):
        assert world.listed_site.name in html
        assert world.unlisted_site.name not in html
    data = json.loads(
        re.search(
            r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    assert len(data["features"]) == 3
    assert data["features"][0]["properties"]["url"].startswith("/en/sites/")
    # Everything the map needs is served by the platform: no CDN, no tile server by default.
    assert not re.search(r'(src|href)="https?://', html)
    assert 'data-tile-url=""' in html
    assert "vendor/leaflet/leaflet.js" in html and "vendor/leaflet.markercluster/" in html
    assert "network/map.js" in html
    assert 'aria-label="' in html.split('id="map"', 1)[1].split(">", 1)[0]
    communes = json.loads(
        re.search(
            r'<script id="map-communes" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    assert len(communes) == 19 and communes["21012"]["name"] == "Molenbeek-Saint-Jean"


def test_a_tile_server_is_used_when_configured(network: Any, client: Any, settings: Any) -> None:
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example tiles"
    html = _html(client.get("/en/map/"))
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="© Example tiles"' in html


def test_map_speaks_dutch_in_dutch(network: Any, client: Any) -> None:
    html = _html(client.get("/nl/map/"))
    assert "Sint-Jans-Molenbeek" in html
    assert '<html lang="nl">' in html


def test_map_filters_by_commune(network: Any, client: Any) -> None:
    other = Commune.objects.get(nis_code="21001")
    services.create_site(
        actor=_owner_actor(network.b),
        organization=network.b.org,
        values={
            "name": "Anderlecht workshop",
            "street": "Rue Wayez 1",
            "postcode": "1070",
            "commune": other,
            "latitude": Decimal("50.83"),
            "longitude": Decimal("4.30"),
        },
    )
    html = _html(client.get("/en/map/", {"commune": "21001"}))
    assert "Anderlecht workshop" in html
    assert network.a.listed_site.name not in html


def test_an_htmx_request_gets_the_results_fragment_with_its_map_data(
    network: Any, client: Any
) -> None:
    response = client.get("/en/map/", {"commune": "21012"}, headers=HTMX)
    html = _html(response)
    assert "<html" not in html and 'id="map-filters"' not in html
    assert 'id="map-data"' in html and network.a.listed_site.name in html
    assert "HX-Request" in response["Vary"]
    # The back button after hx-push-url asks for the whole page again.
    restore = client.get(
        "/en/map/", {"commune": "21012"}, headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in _html(restore)


def test_map_filters_form_works_without_javascript(network: Any, client: Any) -> None:
    html = _html(client.get("/en/map/"))
    tag = re.search(r'<form id="map-filters"[^>]*>', html).group(0)
    assert 'method="get"' in tag and 'action="/en/map/"' in tag
    assert (
        'hx-get="/en/map/"' in tag
        and 'hx-target="#map-results"' in tag
        and 'hx-push-url="true"' in tag
    )
    form = html.split(tag, 1)[1].split("</form>", 1)[0]
    for name in ("q", "process", "material", "commune"):
        assert f'name="{name}"' in form
    assert 'type="submit"' in form


def test_map_with_an_unknown_process_explains_and_does_not_fail(network: Any, client: Any) -> None:
    html = _html(client.get("/fr/map/", {"process": "no-such-process"}))
    assert "Sélectionnez un choix valide" in html  # Django's own French message
    assert html.count('class="result"') == 0


# ------------------------------------------------------------------ who sees which machines


def test_hidden_machines_never_reach_visitors(network: Any, client: Any) -> None:
    # The three organisations show their machines to named organisations only.
    pages = [
        client.get("/en/map/", {"q": "laser"}),
        client.get("/en/search/", {"process": "laser-cutting"}),
        client.get(f"/en/sites/{network.b.listed_site.slug}/"),
        client.get("/en/map/sites.geojson"),
    ]
    for response in pages:
        html = _html(response)
        for world in (network.a, network.b, network.c):
            assert world.machine.name not in html
            for canary in world.private_canaries:
                assert canary not in html


def test_a_member_sees_machines_shared_with_it_and_not_the_others(
    network: Any, client_for: Any
) -> None:
    client = client_for(network.a.owner)
    html = _html(client.get("/en/search/", {"process": "laser-cutting"}))
    assert network.a.machine.name in html and network.c.machine.name in html
    assert network.b.machine.name not in html
    assert network.b.machine.name not in _html(
        client.get(f"/en/sites/{network.b.listed_site.slug}/")
    )


# ------------------------------------------------------------------ site page


def test_site_page_for_a_visitor_hides_contacts_prices_and_capacity(
    network: Any, client: Any
) -> None:
    html = _html(client.get(f"/fr/sites/{network.a.listed_site.slug}/"))
    assert network.a.listed_site.name in html
    assert "Rue Ransfort 27" in html and "Molenbeek-Saint-Jean" in html
    assert _fr("Contacts are shared with network members only.") in html
    assert "contact-" not in html and network.a.canary not in html
    assert "47,13" not in html
    assert 'data-point="[50.854, 4.33]"' in html
    # Weekday names are translated, times are written the Belgian way.
    assert "Lundi" in html and "09:00–17:00" in html and "Dimanche" in html


def test_site_page_for_its_owner_shows_everything(network: Any, client_for: Any) -> None:
    html = _html(client_for(network.a.owner).get(f"/en/sites/{network.a.listed_site.slug}/"))
    assert f"contact-{network.a.canary}@example.org" in html
    assert "47,13 €" in html
    assert f"Closure {network.a.canary}" in html
    assert network.a.machine.name in html and "1000 × 600 mm" in html
    assert "m – medium" in html or "m – moyen" in html


def test_site_page_of_a_partner_shows_shared_machines_without_prices(
    network: Any, client_for: Any
) -> None:
    html = _html(client_for(network.a.owner).get(f"/en/sites/{network.c.listed_site.slug}/"))
    assert network.c.machine.name in html
    assert "69,41" not in html and network.c.canary not in html
    assert "Contacts are shared with network members only." in html


def test_site_page_shows_the_demo_badge_for_demonstration_sites(network: Any, client: Any) -> None:
    site = services.create_site(
        actor=_owner_actor(network.a),
        organization=network.a.org,
        is_demo=True,
        values={
            "name": "Demo workshop",
            "street": "Rue Ransfort 1",
            "postcode": "1080",
            "latitude": Decimal("50.85"),
            "longitude": Decimal("4.33"),
        },
    )
    assert "badge-demo" in _html(client.get(f"/en/sites/{site.slug}/"))


def test_unlisted_and_missing_sites_answer_404(network: Any, client: Any) -> None:
    assert client.get(f"/en/sites/{network.a.unlisted_site.slug}/").status_code == 404
    assert client.get("/en/sites/no-such-site/").status_code == 404


def test_html_in_a_site_is_escaped_or_cleaned(network: Any, client: Any) -> None:
    actor = _owner_actor(network.a)
    site = services.create_site(
        actor=actor,
        organization=network.a.org,
        values={
            "name": "Atelier <b>gras</b> & <i>co</i>",
            "street": "Rue <script>x</script> 3",
            "postcode": "1080",
            "latitude": Decimal("50.85"),
            "longitude": Decimal("4.33"),
            "description": '<p onclick="steal()">Bienvenue <strong>ici</strong></p>'
            "<script>alert(1)</script>",
        },
    )
    # A row written around the services (an import, the admin) is cleaned when shown too.
    Site.objects.unscoped("test writes raw HTML").filter(pk=site.pk).update(
        description='<p>Raw</p><img src=x onerror="alert(2)"><script>alert(3)</script>'
    )
    html = _html(client.get(f"/en/sites/{site.slug}/"))
    assert "<script>alert" not in html and "onerror" not in html and "onclick" not in html
    assert "<p>Raw</p>" in html
    assert "Atelier gras &amp; co" in html
    map_html = _html(client.get("/en/map/"))
    assert "<b>gras</b>" not in map_html and "Atelier gras &amp; co" in map_html
    assert "<script>x</script>" not in _html(client.get(f"/en/sites/{site.slug}/"))


# ------------------------------------------------------------------ search page


def test_search_page_has_the_four_fieldsets_and_the_example(network: Any, client: Any) -> None:
    html = _html(client.get("/en/search/"))
    for legend in ("What", "Size and precision", "Where", "When"):
        assert f"<legend>{legend}</legend>" in html
    for name in (
        "q",
        "process",
        "material",
        "min_x_mm",
        "min_y_mm",
        "min_z_mm",
        "tolerance",
        "commune",
        "near_commune",
        "near_lat",
        "near_lon",
        "radius_km",
        "available_from",
        "available_to",
    ):
        assert f'name="{name}"' in html, name
    example = re.search(r'<a href="(/en/search/\?[^"]+)">who can laser-cut', html).group(1)
    for part in (
        "process=laser-cutting",
        "material=plywood",
        "min_x_mm=600",
        "min_y_mm=400",
        "near_commune=21012",
        "radius_km=3",
        "available_from=",
        "available_to=",
    ):
        assert part in example
    assert 'class="result"' not in html  # nothing asked yet


def test_search_results_list_machines_reasons_and_distance(network: Any, client_for: Any) -> None:
    client = client_for(network.a.owner)
    html = _html(
        client.get(
            "/en/search/",
            {
                "process": "laser-cutting",
                "material": "plywood",
                "min_x_mm": 600,
                "min_y_mm": 400,
                "tolerance": "c",
                "near_commune": "21012",
                "radius_km": 5,
            },
        )
    )
    assert html.count('class="result"') == 2
    assert html.index(network.a.listed_site.name) < html.rindex(network.c.listed_site.name)
    assert "1000 × 600 mm" in html and "fits 600 × 400 mm" in html and "km away" in html
    assert 'id="map-data"' in html


def test_an_empty_search_suggests_widening_it(network: Any, client_for: Any) -> None:
    html = _html(
        client_for(network.a.owner).get(
            "/en/search/",
            {
                "process": "laser-cutting",
                "min_x_mm": 5000,
                "available_from": "2030-01-07",
                "available_to": "2030-01-11",
            },
        )
    )
    assert "No site found" in html
    assert "Search again without the size" in html and "Search again without the dates" in html
    assert "min_x_mm" not in re.search(
        r'<a href="([^"]+)">Search again without the size', html
    ).group(1)


OUTSIDE = (
    "The coordinates (%(lat)s, %(lon)s) are outside Belgium. Check that latitude and "
    "longitude are not swapped."
)


@pytest.mark.parametrize(
    ("params", "msgid", "values"),
    [
        # Our messages, in the French catalogue as it stands (English until translated).
        (
            {"available_from": "2030-02-10", "available_to": "2030-02-01"},
            "The period ends before it starts.",
            None,
        ),
        ({"available_from": "2030-02-10"}, "Give both dates of the period, or neither.", None),
        ({"near_lat": "50.85"}, "Give both latitude and longitude, or neither.", None),
        (
            {"near_lat": "48.85", "near_lon": "2.35"},
            OUTSIDE,
            {"lat": Decimal("48.85"), "lon": Decimal("2.35")},
        ),
        # Django's own messages, already translated.
        ({"min_x_mm": "abc"}, "Enter a whole number.", None),
        (
            {"available_from": "31/31/2030", "available_to": "2030-02-01"},
            "Enter a valid date.",
            None,
        ),
        (
            {"process": "welding-by-magic"},
            "Select a valid choice. %(value)s is not one of the available choices.",
            {"value": "welding-by-magic"},
        ),
    ],
)
def test_invalid_input_explains_in_french_without_failing(
    network: Any, client: Any, params: dict[str, str], msgid: str, values: dict[str, Any] | None
) -> None:
    expected = _fr(msgid) % values if values else _fr(msgid)
    for headers in ({}, HTMX):
        html = _html(client.get("/fr/search/", params, headers=headers))
        assert escape(expected) in html, (expected, html[-2000:])
        assert 'class="result"' not in html
    assert _fr("Enter a whole number.") == "Saisissez un nombre entier."  # the catalogue is active
    # With htmx the form comes back out of band, its errors next to the fields.
    assert 'hx-swap-oob="true"' in _html(client.get("/fr/search/", params, headers=HTMX))


# ------------------------------------------------------------------ query counts


def _grow(network: Any, first: int, last: int) -> None:
    """Add sites ``first`` to ``last - 1`` to organisation B, each with a public laser."""
    actor = _owner_actor(network.b)
    services.set_sharing(
        actor=actor, organization=network.b.org, group="machines", audience="public"
    )
    laser, plywood = Process.objects.get(code="laser-cutting"), Material.objects.get(code="plywood")
    for i in range(first, last):
        site = services.create_site(
            actor=actor,
            organization=network.b.org,
            processes=[laser],
            values={
                "name": f"Extra {i}",
                "street": f"Rue Ransfort {100 + i}",
                "postcode": "1080",
                "latitude": Decimal("50.85") + Decimal(i) / 1000,
                "longitude": Decimal("4.33"),
            },
        )
        services.create_machine(
            actor=actor,
            site=site,
            process=laser,
            materials=[plywood],
            values={
                "name": f"Laser extra {i}",
                "envelope_x_mm": 800,
                "envelope_y_mm": 500,
                "tolerance_class": "m",
            },
        )


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    "/en/map/",
    "/en/search/?process=laser-cutting",
    "/en/search/?q=laser&material=plywood",
    "/en/map/?q=molenbeek+laser",
]


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_query_counts_are_bounded_and_do_not_grow_with_the_network(
    network: Any, client: Any, client_for: Any, django_assert_max_num_queries: Any, who: str
) -> None:
    browser = client if who == "visitor" else client_for(network.a.owner)
    _grow(network, 0, 2)  # so that visitors, too, find machines in the small network
    for url in PAGES:
        browser.get(url)  # warm up: session, caches
    small = {url: _count(browser, url) for url in PAGES}
    _grow(network, 2, 14)
    # A text search costs a few indexed id lookups per word (two words here); a member's
    # request also loads the session, the user and their memberships.
    limit = 24 if who == "visitor" else 30
    for url in PAGES:
        with django_assert_max_num_queries(limit):
            response = browser.get(url)
        if "laser" in url:
            assert "Laser extra 13" in response.content.decode()
    large = {url: _count(browser, url) for url in PAGES}
    assert large == small
