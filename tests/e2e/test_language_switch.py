"""The language switch keeps the page and changes the language (FR → NL → EN)."""

from tests.e2e.conftest import check_accessibility


def test_language_switch_keeps_the_page(page, demo_server):
    page.goto(f"{demo_server.url}/fr/map/?process=laser-cutting")
    page.wait_for_selector("#map-results .result")
    french_title = page.locator("h1").inner_text()
    assert page.locator("html").get_attribute("lang") == "fr"

    page.locator(".lang-switcher button[value=nl]").click()
    page.wait_for_url("**/nl/map/**")
    assert page.locator("html").get_attribute("lang") == "nl"
    dutch_title = page.locator("h1").inner_text()
    assert dutch_title != french_title
    assert "process=laser-cutting" in page.url
    check_accessibility(page)

    page.locator(".lang-switcher button[value=en]").click()
    page.wait_for_url("**/en/map/**")
    assert page.locator("h1").inner_text() == "The network on the map"
