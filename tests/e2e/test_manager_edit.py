"""A workshop manager edits opening hours and a machine; the map and the search show it."""

from tests.e2e.conftest import check_accessibility, sign_in

MACHINE = "Découpeuse laser Trotec Speedy 400 (textile)"
RENAMED = "Découpeuse laser Trotec Speedy 400 Lumière"


def test_manager_edits_hours_and_a_machine_and_sees_it_on_the_map(page, demo_server):
    from reproduce.network.models import Machine

    base = demo_server.url
    sign_in(page, base, "manager@greenfabric.demo")
    page.goto(f"{base}/fr/dashboard/")
    assert "GreenFabric" in page.content()
    check_accessibility(page)

    # Opening hours: GreenFabric is closed on Mondays; open it 9:00–12:00.
    page.goto(f"{base}/fr/manage/sites/greenfabric-molenbeek/hours/")
    check_accessibility(page)
    last = page.locator("fieldset.row-set").last
    last.locator("select[name$=weekday]").select_option("0")
    last.locator("input[name$=opens]").fill("09:00")
    last.locator("input[name$=closes]").fill("12:00")
    page.locator("main form button[type=submit]:not([name])").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".messages .success").count() == 1

    # The machine: rename it.
    machine = Machine.objects.unscoped("test lookup").get(name=MACHINE)
    page.goto(f"{base}/fr/manage/machines/{machine.pk}/edit/")
    check_accessibility(page)
    page.fill("input[name=name]", RENAMED)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")

    # The public site page shows Monday; the map search finds the new name.
    page.goto(f"{base}/fr/sites/greenfabric-molenbeek/")
    hours = page.locator("table", has_text="09:00").first.inner_text().lower()
    assert "12:00" in hours
    page.goto(f"{base}/fr/map/?q=lumiere")
    page.wait_for_selector("#map-results .result")
    results = page.locator("#map-results .result").all_inner_texts()
    assert len(results) == 1 and "GreenFabric" in results[0]
    assert not page.js_errors, page.js_errors


def test_viewer_cannot_edit(page, demo_server):
    base = demo_server.url
    sign_in(page, base, "viewer@microfactory.demo")
    response = page.goto(f"{base}/fr/manage/sites/microfactory-molenbeek/edit/")
    assert response.status in (403, 404)
