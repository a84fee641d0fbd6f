"""Tracing in a real browser, on the demo's Cohort 1 chain (textile waste → shredded fibre →
pulp → paper sheets → box): the coordinator finds the pulp batch, reads where it came from
and where it went, and opens its recall list; a visitor scans the sheets' label and reads
their public passport on a phone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import PHONE, check_accessibility, sign_in

COORDINATOR = "coordinator@reproduce.demo"


@pytest.fixture
def trace_server(demo_server: Any) -> Any:
    from reproduce.designs.demo import load_demo_designs
    from reproduce.inventory.demo import load_demo_traceability
    from reproduce.orders.demo import load_demo_orders

    load_demo_designs()
    load_demo_orders(plan_seconds=2)
    load_demo_traceability()
    return demo_server


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0, f"the page scrolls sideways by {width}px"


def test_the_coordinator_traces_a_lot_and_opens_its_recall_list(page: Any, trace_server: Any):
    base = trace_server.url
    sign_in(page, base, COORDINATOR)
    page.goto(f"{base}/en/trace/")
    check_accessibility(page)
    page.fill("input[name=code]", "gf-c1-pulpe")  # typed in lower case
    page.get_by_role("button", name="Trace").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/en/trace/lots/GF-C1-PULPE/")
    upstream = page.locator("section", has=page.locator("#up-heading")).inner_text()
    downstream = page.locator("section", has=page.locator("#down-heading")).inner_text()
    assert "GF-C1-FIBRE" in upstream and "PR-C1-TEXTILE" in upstream
    assert "GF-C1-PAPIER" in downstream and "GF-C1-CARTON" in downstream
    assert upstream.count("PR-C1-TEXTILE") == 1
    check_accessibility(page)
    _no_horizontal_scroll(page)

    page.get_by_role("link", name="Recall list").click()
    page.wait_for_load_state("networkidle")
    assert "/en/trace/network/lots/GF-C1-PULPE/recall/" in page.url
    body = page.locator("main").inner_text()
    assert "GF-C1-CARTON" in body
    assert "Encre Flagey" in body  # the customer, and where the box was shipped
    check_accessibility(page)
    _no_horizontal_scroll(page)
    assert not page.js_errors  # type: ignore[attr-defined]


def test_a_visitor_reads_the_public_passport_on_a_phone(browser: Any, trace_server: Any):
    from reproduce.inventory.models import Lot
    from reproduce.traceability.identifiers import label_url

    sheets = Lot.objects.unscoped("test: the demo's sheets").get(code="GF-C1-PAPIER")
    path = urlsplit(label_url(sheets)).path  # the address the label's QR code holds
    assert path.startswith("/01/") and path.endswith("/10/GF-C1-PAPIER")
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    page = context.new_page()
    page.goto(f"{trace_server.url}{path}")
    assert page.locator("h1").inner_text().strip()
    body = page.locator("main").inner_text()
    assert "GF-C1-PAPIER" in body
    assert "Recycled content" in body and "%" in body
    assert "Care, repair and end of life" in body
    assert "flax" in body.lower() or "lin" in body  # the textile's composition
    check_accessibility(page)
    _no_horizontal_scroll(page)
    # A lot whose passport is not public: "page not found", nothing else.
    missing = page.goto(f"{trace_server.url}/lot/GF-C1-PULPE")
    assert missing is not None and missing.status == 404
    assert "GF-C1" not in page.locator("main").inner_text()
    context.close()
