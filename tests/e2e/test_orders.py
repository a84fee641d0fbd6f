"""Orders in a real browser: a customer orders configured MobiFab benches; the coordinator
releases and dispatches the order; workshops accept and decline the work offered to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.e2e.conftest import check_accessibility, sign_in


@pytest.fixture
def orders_server(demo_server: Any) -> Any:
    from reproduce.designs.demo import load_demo_designs

    load_demo_designs()
    return demo_server


def _click(page: Any, name: str) -> None:
    page.get_by_role("button", name=name).first.click()
    page.wait_for_load_state("networkidle")


def test_a_customer_orders_configured_benches(page: Any, orders_server: Any):
    base = orders_server.url
    sign_in(page, base, "achats@forest.demo")
    page.goto(f"{base}/en/orders/new/")
    labels = page.locator("select[name=version] option").all_inner_texts()
    bench = next(t for t in labels if "MobiFab" in t and "onnect" not in t)
    page.select_option("select[name=version]", label=bench)
    page.wait_for_selector("input[name=option_extra_seat_modules]")
    page.fill("input[name=quantity]", "2")
    page.fill("input[name=option_extra_seat_modules]", "3")  # out of range: max 2
    page.check("input[name=option_backrest]")
    wished = timezone.localdate() + timedelta(days=40)
    page.fill("input[name=requested_date]", wished.isoformat())
    _click(page, "Place the order")
    assert page.locator("[role=alert]").count() >= 1  # refused, values kept
    assert page.input_value("input[name=quantity]") == "2"
    page.fill("input[name=option_extra_seat_modules]", "1")
    _click(page, "Place the order")
    assert "/en/orders/" in page.url
    body = page.locator("main").inner_text()
    assert "Submitted" in body
    assert "Backrest" in body
    check_accessibility(page)
    assert not page.js_errors  # type: ignore[attr-defined]


def test_the_coordinator_dispatches_and_workshops_answer(
    page: Any, orders_server: Any, browser: Any
):
    from reproduce.accounts.models import Organization
    from reproduce.designs.models import DesignVersion
    from reproduce.network.demo import system_actor
    from reproduce.orders import services

    forest = Organization.objects.get(slug="commune-forest")
    version = (
        DesignVersion.objects.unscoped("test")
        .filter(design__slug="mobifab-bench", state="released")
        .get()
    )
    order = services.create_order(
        actor=system_actor(forest),
        customer=forest,
        requested_date=timezone.localdate() + timedelta(days=40),
        lines=[services.LineInput(version, 2, {"backrest": 1})],
    )
    services.submit_order(actor=system_actor(forest), order=order)
    base = orders_server.url
    sign_in(page, base, "coordinator@reproduce.demo")
    page.goto(f"{base}/en/orders/{order.pk}/")
    _click(page, "Release the order")
    _click(page, "Dispatch all")
    assert "Offered" in page.locator("main").inner_text()
    check_accessibility(page)

    workshop = browser.new_context(viewport=page.viewport_size, locale="fr-BE").new_page()
    sign_in(workshop, base, "manager@cityfab1.demo")
    workshop.goto(f"{base}/en/orders/inbox/")
    assert order.reference in workshop.locator("main").inner_text()
    check_accessibility(workshop)
    workshop.get_by_role("button", name="Accept the work").first.click()
    workshop.wait_for_load_state("networkidle")
    assert "Accepted" in workshop.locator("main").inner_text()

    from reproduce.accounts.models import Membership
    from reproduce.orders.models import Offer

    waiting = (
        Offer.objects.unscoped("test")
        .filter(work_order__order=order, state="open")
        .exclude(organization__slug="cityfab-1")
        .first()
    )
    manager = (
        Membership.objects.unscoped("test")
        .filter(organization_id=waiting.organization_id, role__in=["manager", "owner"])
        .first()
    )
    other = browser.new_context(viewport=page.viewport_size, locale="fr-BE").new_page()
    sign_in(other, base, manager.user.email)
    other.goto(f"{base}/en/orders/inbox/")
    other.locator("details summary", has_text="Decline").first.click()
    other.locator("select[name$=reason]").first.select_option("other")
    other.get_by_role("button", name="Decline").first.click()
    other.wait_for_load_state("networkidle")
    assert "comment" in other.locator("main").inner_text().lower()  # "other" needs a comment


def test_the_coordinator_reads_the_network_plan(page: Any, orders_server: Any):
    from reproduce.orders.demo import load_demo_orders

    load_demo_orders(plan_seconds=5)
    base = orders_server.url
    sign_in(page, base, "coordinator@reproduce.demo")
    page.goto(f"{base}/en/planning/")
    main = page.locator("main")
    assert "Timeline by site" in main.inner_text()
    bars = page.locator("a.gantt-bar")
    assert bars.count() >= 10
    check_accessibility(page)
    page.locator("summary", has_text="Re-plan now").click()
    page.fill("input[name=reason]", "Laser of Cityfab 1 down")
    page.get_by_role("button", name="Re-plan now").click()
    page.wait_for_load_state("networkidle")
    assert "Planning" in page.locator("#run-status").inner_text()  # queued, runs in the worker
    bars.first.click()
    page.wait_for_load_state("networkidle")
    assert "/en/orders/work/" in page.url
    assert not page.js_errors  # type: ignore[attr-defined]
