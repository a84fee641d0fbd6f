"""The capability search: multilingual text, every criterion at once, availability."""

# The product writes typographic signs (×, –, “”): the tests look for them as written.

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from reproduce.core.actor import ANONYMOUS, Actor
from reproduce.network import services
from reproduce.network.models import Commune
from reproduce.network.selectors import CapabilityQuery, SiteMatch, find_capabilities

LASER_WORDS = ["decoupe laser", "découpe laser", "lasersnijden", "laser cutting", "Laser Cutting"]
PRINTING_WORDS = ["impression 3D", "3D-printen", "3D printing"]
PRINTING_PROCESSES = {"additive-manufacturing", "fdm-printing", "sla-printing", "sls-printing"}


def _slugs(matches: list[SiteMatch]) -> list[str]:
    return [m.site.slug for m in matches]


def _next_week() -> tuple[Any, Any]:
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    return monday, monday + timedelta(days=4)


def _owner_actor(world: Any) -> Actor:
    return Actor(user=world.owner, memberships={world.org.pk: "owner"})


# ------------------------------------------------------------------ the demo network, multilingual


@pytest.fixture
def demo(db: Any) -> None:
    from reproduce.network.demo import load_demo_network

    load_demo_network()


def _text(query: str) -> list[SiteMatch]:
    return find_capabilities(ANONYMOUS, CapabilityQuery(text=query))


@pytest.mark.django_db
def test_laser_cutting_is_found_in_french_dutch_and_english_with_or_without_accents(
    demo: None,
) -> None:
    results = {q: _text(q) for q in LASER_WORDS}
    found = {q: set(_slugs(r)) for q, r in results.items()}
    reference = found["découpe laser"]
    assert {"greenfabric-molenbeek", "cityfab1-laeken"} <= reference
    assert all(slugs == reference for slugs in found.values()), found
    for matches in results.values():
        for m in matches:
            # Only the laser machines of a site match, not its 3D printers or its sewing machines.
            assert m.machines, m.site.slug
            assert all(mc.process.code.startswith("laser") for mc in m.machines), (
                m.site.slug,
                [mc.name for mc in m.machines],
            )


@pytest.mark.django_db
def test_3d_printing_is_found_in_french_and_dutch(demo: None) -> None:
    french, dutch = _text("impression 3D"), _text("3D-printen")
    assert "cityfab1-laeken" in _slugs(french)
    assert set(_slugs(french)) == set(_slugs(dutch))
    for m in french:
        assert all(mc.process.code in PRINTING_PROCESSES for mc in m.machines), m.site.slug
    # The laser workshop of GreenFabric prints nothing.
    assert "greenfabric-molenbeek" not in _slugs(french)


@pytest.mark.django_db
def test_the_hollander_beater_of_greenfabric(demo: None) -> None:
    for query in ["Hollander", "pile hollandaise", "hollander beater", "HOLLANDAISE"]:
        matches = _text(query)
        assert _slugs(matches)[:1] == ["greenfabric-molenbeek"], query
        assert any(mc.process.code == "hollander-beating" for mc in matches[0].machines), query


@pytest.mark.django_db
def test_a_commune_and_a_process_in_one_query(demo: None) -> None:
    matches = _text("molenbeek laser")
    assert set(_slugs(matches)) == {"greenfabric-molenbeek", "microfactory-molenbeek"}
    for m in matches:
        assert m.site.commune.nis_code == "21012"
        assert all(mc.process.code.startswith("laser") for mc in m.machines)


@pytest.mark.django_db
def test_the_map_finds_lasersnijden_in_french(demo: None, client: Any) -> None:
    response = client.get("/fr/map/", {"q": "lasersnijden"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "GreenFabric – Molenbeek" in html
    assert "Cityfab 1" in html
    assert "Rotor DC" not in html  # reclaimed materials, no laser
    features = response.context["features"]["features"]
    assert {f["properties"]["name"] for f in features} == {
        m.site.name for m in _text("découpe laser")
    }


@pytest.mark.django_db
def test_the_example_of_the_search_page_finds_laser_cutters_near_molenbeek(
    demo: None, client: Any
) -> None:
    page = client.get("/fr/search/")
    example = page.context["example_url"]
    response = client.get(example)
    assert response.status_code == 200
    matches = response.context["matches"]
    assert matches, "the example must find someone"
    assert all(m.distance_km is not None and m.distance_km <= 3 for m in matches)
    assert all(any(mc.envelope_x_mm >= 600 for mc in m.machines) for m in matches)


# ------------------------------------------------------------------ every criterion at once


def _full_query(**changes: Any) -> CapabilityQuery:
    molenbeek = Commune.objects.get(nis_code="21012")
    start, end = _next_week()
    values: dict[str, Any] = {
        "process": "laser-cutting",
        "material": "plywood",
        "min_x_mm": 600,
        "min_y_mm": 400,
        "tolerance": "c",
        "commune": "21012",
        "near_lat": float(molenbeek.centroid_lat),
        "near_lon": float(molenbeek.centroid_lon),
        "radius_km": 5.0,
        "available_from": start,
        "available_to": end,
    }
    values.update(changes)
    return CapabilityQuery(**values)


def test_every_criterion_at_once_ranks_sites_with_their_reasons(network: Any) -> None:
    actor = _owner_actor(network.a)
    matches = find_capabilities(actor, _full_query())
    # A sees its own machine and the one C shares by name with it; B's stays hidden.
    assert _slugs(matches) == [network.a.listed_site.slug, network.c.listed_site.slug]
    best, second = matches
    assert best.score > second.score  # A shares its capacity with itself: open days count
    assert [mc.pk for mc in best.machines] == [network.a.machine.pk]
    reasons = " | ".join(best.reasons)
    for expected in [
        "Laser orga",
        "1000 × 600 mm",
        "fits 600 × 400 mm",
        "Tolerance class m",
        "km away",
        "Open 5 days in the period asked",
    ]:
        assert expected in reasons, reasons
    assert best.free_days == 5
    assert "Availability not shared with you" in second.reasons
    assert second.free_days is None


def test_a_part_larger_than_every_bed_finds_nothing(network: Any) -> None:
    actor = _owner_actor(network.a)
    assert find_capabilities(actor, _full_query(min_x_mm=1200)) == []
    # Turned 90°, 600 × 1000 fits a 1000 × 600 bed.
    assert find_capabilities(actor, _full_query(min_x_mm=600, min_y_mm=1000))


def test_a_finer_tolerance_than_the_machines_finds_nothing(network: Any) -> None:
    assert find_capabilities(_owner_actor(network.a), _full_query(tolerance="f")) == []


def test_a_machine_unavailable_over_the_whole_period_drops_its_site(network: Any) -> None:
    actor = _owner_actor(network.a)
    start, end = _next_week()
    tz = timezone.get_current_timezone()
    services.add_unavailability(
        actor=actor,
        machine=network.a.machine,
        starts_at=datetime.combine(start, time.min, tz) - timedelta(hours=1),
        ends_at=datetime.combine(end, time.max, tz) + timedelta(hours=1),
        note="Tube replaced",
    )
    slugs = _slugs(find_capabilities(actor, _full_query()))
    assert network.a.listed_site.slug not in slugs
    # C does not share its capacity with A: its site stays, marked "not shared".
    assert slugs == [network.c.listed_site.slug]
    # Outside the period the machine is free again.
    later = find_capabilities(
        actor,
        _full_query(available_from=start + timedelta(days=7), available_to=end + timedelta(days=7)),
    )
    assert network.a.listed_site.slug in _slugs(later)


def test_a_machine_unavailable_on_some_days_only_keeps_its_site(network: Any) -> None:
    actor = _owner_actor(network.a)
    start, _end = _next_week()
    tz = timezone.get_current_timezone()
    services.add_unavailability(
        actor=actor,
        machine=network.a.machine,
        starts_at=datetime.combine(start, time(8), tz),
        ends_at=datetime.combine(start, time(18), tz),
    )
    assert network.a.listed_site.slug in _slugs(find_capabilities(actor, _full_query()))


def test_a_closure_over_the_whole_period_drops_the_site(network: Any) -> None:
    actor = _owner_actor(network.a)
    start, end = _next_week()
    services.add_closure(
        actor=actor, site=network.a.listed_site, start_date=start, end_date=end, reason="Inventory"
    )
    assert network.a.listed_site.slug not in _slugs(find_capabilities(actor, _full_query()))


def test_the_radius_keeps_only_close_sites(network: Any) -> None:
    actor = _owner_actor(network.a)
    # From Uccle (about 7 km south of the fixture sites in Molenbeek).
    far = _full_query(commune="", near_lat=50.79, near_lon=4.35, radius_km=3.0)
    assert find_capabilities(actor, far) == []
    near = _full_query(commune="", near_lat=50.79, near_lon=4.35, radius_km=10.0)
    assert all(
        m.distance_km is not None and m.distance_km <= 10 for m in find_capabilities(actor, near)
    )
    assert find_capabilities(actor, near)


def test_visitors_never_match_through_hidden_machines(network: Any) -> None:
    # All three organisations of the fixture show their machines to named organisations only.
    # Their sites declare no service either: nothing betrays a hidden laser.
    assert find_capabilities(ANONYMOUS, CapabilityQuery(text="laser")) == []
    assert find_capabilities(ANONYMOUS, CapabilityQuery(text="laser orgb")) == []
    assert (
        find_capabilities(ANONYMOUS, CapabilityQuery(process="laser-cutting", material="plywood"))
        == []
    )
