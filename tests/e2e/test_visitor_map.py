"""A visitor finds who can make it: the map of the communes, filters, multilingual search."""

import re

from tests.e2e.conftest import check_accessibility


def _results(page):
    return page.locator("#map-results .result")


def _wait_for_map(page):
    page.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length >= 19")
    page.wait_for_selector(".leaflet-marker-icon")


def test_visitor_filters_the_map_and_searches_in_three_languages(page, demo_server):
    page.goto(f"{demo_server.url}/fr/map/")
    _wait_for_map(page)
    all_sites = _results(page).count()
    assert all_sites >= 10
    check_accessibility(page)

    # Filter by process: only laser cutting sites remain, list and markers follow.
    page.select_option("#id_process", "laser-cutting")
    page.wait_for_function(
        f"document.querySelectorAll('#map-results .result').length < {all_sites}"
    )
    laser = _results(page).all_inner_texts()
    assert any("GreenFabric" in t for t in laser)
    assert re.search(r"process=laser-cutting", page.url)

    # Accent-free French, then Dutch (typed in the filter, updated by htmx): the same sites.
    page.goto(f"{demo_server.url}/fr/map/?q=decoupe+laser")
    _wait_for_map(page)
    french = sorted(t.split("\n")[0] for t in _results(page).all_inner_texts())
    assert 0 < len(french) < all_sites
    page.fill("#id_q", "lasersnijden")
    page.locator("#map-filters button[type=submit]").click()
    page.wait_for_url("**q=lasersnijden**")
    page.wait_for_load_state("networkidle")
    dutch = sorted(t.split("\n")[0] for t in _results(page).all_inner_texts())
    assert french == dutch

    # Commune filter: Molenbeek only.
    page.goto(f"{demo_server.url}/fr/map/?commune=21012")
    _wait_for_map(page)
    texts = _results(page).all_inner_texts()
    assert texts and all("Molenbeek" in t for t in texts)
    assert not page.js_errors, page.js_errors


def test_site_page_from_the_map_list(page, demo_server):
    page.goto(f"{demo_server.url}/fr/map/?q=hollander")
    _wait_for_map(page)
    page.locator("#map-results .result a").first.click()
    page.wait_for_load_state("networkidle")
    assert "GreenFabric" in page.locator("h1").inner_text()
    assert page.locator("text=Pile hollandaise").count() >= 1
    check_accessibility(page)
