"""The operator's phone journey on the shop floor (390 × 844): sign in, "my work today",
start a work order, record a lot used by typing its code (a foreign lot's code is "not
found"), declare good and scrapped parts, finish: the new lot is shown; the order page shows
the progress.

The work is set up through the real services on the demo network: a MobiFab bench order
whose first work order is assigned to Cityfab 1, and a lot of plywood in Cityfab 1's store.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.e2e.conftest import PHONE, check_accessibility, sign_in

OPERATOR = "operator@cityfab1.demo"
LOT = "E2E-PLY-0001"
FOREIGN_LOT = "E2E-FOREIGN-01"


@pytest.fixture
def floor_server(demo_server: Any) -> Any:
    from reproduce.designs.demo import load_demo_designs

    load_demo_designs()
    return demo_server


def _work_at_cityfab() -> Any:
    """An accepted work order at Cityfab 1 and a plywood lot to consume (through services)."""
    from reproduce.accounts.models import NetworkRole, Organization
    from reproduce.core.actor import actor_for_user
    from reproduce.designs.models import DesignVersion, Item
    from reproduce.inventory import services as stock
    from reproduce.inventory.services import LotInput
    from reproduce.network.demo import system_actor
    from reproduce.network.models import Site
    from reproduce.orders import services as orders
    from reproduce.orders.models import WorkOrder

    forest = Organization.objects.get(slug="commune-forest")
    cityfab = Organization.objects.get(slug="cityfab-1")
    other = (
        Organization.objects.exclude(pk__in=[forest.pk, cityfab.pk])
        .filter(sites__isnull=False)
        .first()
    )
    version = (
        DesignVersion.objects.unscoped("test")
        .filter(design__slug="mobifab-bench", state="released")
        .get()
    )
    order = orders.create_order(
        actor=system_actor(forest),
        customer=forest,
        requested_date=timezone.localdate() + timedelta(days=40),
        lines=[orders.LineInput(version, 2, {})],
    )
    orders.submit_order(actor=system_actor(forest), order=order)
    coordinator = actor_for_user(NetworkRole.objects.filter(role="coordinator").first().user)
    orders.release_order(actor=coordinator, order=order)
    work = WorkOrder.objects.unscoped("test").filter(order=order).order_by("pk").first()
    site = Site.objects.unscoped("test").filter(organization=cityfab).order_by("pk").first()
    orders.assign_work_order(actor=coordinator, work_order=work, site=site, reason="e2e")
    manager = system_actor(cityfab)
    store = stock.create_location(actor=manager, site=site, code="E2E-MAG", name="Magasin")
    stock.create_location(
        actor=manager, site=site, code="E2E-ATELIER", name="Atelier", kind="production"
    )
    plywood = Item.objects.create(
        organization=cityfab, kind="material", name="Contreplaqué de réemploi", default_unit="C62"
    )
    stock.receive(
        actor=manager,
        location=store,
        supplier="Rotor DC",
        lines=[LotInput(item=plywood, quantity=Decimal(6), code=LOT)],
    )
    other_site = Site.objects.unscoped("test").filter(organization=other).first()
    other_store = stock.create_location(
        actor=system_actor(other), site=other_site, code="E2E-X", name="Stock"
    )
    secret = Item.objects.create(
        organization=other, kind="material", name="Secret material", default_unit="C62"
    )
    stock.receive(
        actor=system_actor(other),
        location=other_store,
        supplier="Elsewhere",
        lines=[LotInput(item=secret, quantity=Decimal(5), code=FOREIGN_LOT)],
    )
    return order, work


def _fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"


def _poll_now(page: Any) -> None:
    """What a tab coming back to the foreground does: poll at once (not waiting 10 s)."""
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def _press(page: Any, name: str) -> None:
    page.get_by_role("button", name=name).first.click()
    page.wait_for_load_state("networkidle")


def test_an_operator_runs_a_work_order_on_the_phone(browser: Any, floor_server: Any):
    order, work = _work_at_cityfab()
    base = floor_server.url
    context = browser.new_context(viewport=PHONE, locale="fr-BE", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, base, OPERATOR)
    page.goto(f"{base}/en/work/")
    main = page.locator("main")
    assert "My work today" in main.inner_text()
    card = page.locator(".work-card", has_text=work.reference)
    assert card.count() == 1
    _fits_the_phone(page)
    check_accessibility(page)
    start = card.get_by_role("button", name="Start")
    box = start.bounding_box()
    assert box is not None and box["height"] >= 44  # a touch target
    start.click()
    page.wait_for_load_state("networkidle")
    assert "is running" in page.locator(".messages").inner_text()
    page.locator(".work-card", has_text=work.reference).get_by_role("link", name="Open").click()
    page.wait_for_load_state("networkidle")
    assert "Running" in page.locator("main").inner_text()
    _fits_the_phone(page)
    check_accessibility(page)

    # another organisation's lot: "not found", nothing revealed
    page.fill("input[name=consume-code]", FOREIGN_LOT)
    page.fill("input[name=consume-quantity]", "1")
    _press(page, "Record the material used")
    assert "No lot with this code." in page.locator("#consume").inner_text()
    assert "Secret material" not in page.content()

    # more than on hand: a clear error, the values kept
    page.fill("input[name=consume-code]", LOT.lower())
    page.fill("input[name=consume-quantity]", "9")
    _press(page, "Record the material used")
    assert "Not enough stock" in page.locator("#consume").inner_text()
    assert page.input_value("input[name=consume-quantity]") == "9"

    page.fill("input[name=consume-quantity]", "4")
    _press(page, "Record the material used")
    assert LOT in page.locator("main").inner_text()

    # the coordinator (on another phone) opens the order: live progress, polled cheaply
    coordinator_context = browser.new_context(viewport=PHONE, locale="fr-BE")
    coordinator = coordinator_context.new_page()
    coordinator_errors: list[str] = []
    coordinator.on("pageerror", lambda exc: coordinator_errors.append(str(exc)))
    sign_in(coordinator, base, "coordinator@reproduce.demo")
    coordinator.goto(f"{base}/en/orders/{order.pk}/")
    live = coordinator.locator(".live-progress")
    assert "Live progress on the shop floor" in live.inner_text()
    assert "Running" in live.inner_text() and work.reference in live.inner_text()
    check_accessibility(coordinator)
    with coordinator.expect_response(lambda r: "/progress/" in r.url) as answer:
        _poll_now(coordinator)
    assert answer.value.status == 304  # nothing changed: no body, no re-render
    page.bring_to_front()

    # scrap needs a reason
    page.fill("input[name=output-good]", "1")
    page.fill("input[name=output-scrap]", "1")
    _press(page, "Record")
    assert "Say why the parts are scrapped." in page.locator("#output").inner_text()
    page.select_option("select[name=output-scrap_reason]", "setup")
    _press(page, "Record")
    assert "1 good, 1 scrap" in page.locator(".messages").inner_text()
    page.fill("input[name=output-good]", "1")
    page.fill("input[name=output-scrap]", "0")
    page.select_option("select[name=output-scrap_reason]", "")
    _press(page, "Record")
    assert "2 / 2 good" in page.locator("main").inner_text()

    # finish: the proposed quantity is the good one; a new lot is made
    assert page.input_value("input[name=finish-quantity]") == "2"
    page.fill("input[name=finish-code]", "E2E-OUT-0001")
    _press(page, "Finish the work order")
    assert "is done" in page.locator(".messages").inner_text()
    assert "E2E-OUT-0001" in page.locator("main").inner_text()
    _fits_the_phone(page)
    assert not errors

    # the coordinator's order page polled meanwhile: 304 while nothing changed, then the news
    coordinator.bring_to_front()
    with coordinator.expect_response(lambda r: "/progress/" in r.url) as answer:
        _poll_now(coordinator)
    assert answer.value.status == 200
    live = coordinator.locator(".live-progress")
    coordinator.wait_for_function(
        "document.querySelector('.live-progress').innerText.includes('Done')"
    )
    assert "2 / 2 good" in live.inner_text()
    assert not coordinator_errors
    context.close()
