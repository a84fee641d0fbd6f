"""The jury's journey: a reviewer signs in, opens the application assigned to them, scores it
on the call's weighted grid (a score over the grid is refused, what was typed stays) and sends
it; then the programme officer opens the ranking, invites the applicant to an interview,
records "selected" with a personal message and sends the decision.

The call, the applications and the people are created through the real services in the live
server's database (``fixtures_review.build_review_world``). Desktop and phone widths.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PHONE, check_accessibility, sign_in

SLUG = "e2e-review"
PASSWORD = "pw-Test-12345"


@pytest.fixture
def jury_world(live_server: Any, transactional_db: Any) -> Any:
    from reproduce.programme.tests.fixtures_review import build_review_world

    world = build_review_world(SLUG)
    world.assign(world.applications[0], world.reviewers[0])
    return world


def _no_sideways_scroll(page: Any, viewport: dict[str, int]) -> None:
    if viewport == PHONE:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"


def _go(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def _click(page: Any, locator: Any) -> None:
    locator.click()
    page.wait_for_load_state("networkidle")


def test_a_reviewer_scores_and_the_officer_selects(
    page: Any, jury_world: Any, live_server: Any, viewport: dict[str, int]
) -> None:
    from reproduce.programme.models import Application, ApplicationState, ReviewAssignment

    base = live_server.url
    app = jury_world.applications[0]

    # --- the reviewer
    sign_in(page, base, jury_world.reviewers[0].email, PASSWORD)
    _go(page, f"{base}/en/programme/review/")
    assert "Applications to review" in page.locator("main").inner_text()
    _no_sideways_scroll(page, viewport)
    check_accessibility(page)
    _click(page, page.get_by_role("link", name=app.reference))
    main = page.locator("main")
    assert app.full_name in main.inner_text()
    assert "GreenFabric" in main.inner_text()
    _no_sideways_scroll(page, viewport)
    check_accessibility(page)
    page.fill("input[name=points_fit]", "45")  # over the 40 points of the criterion
    page.fill("input[name=points_fablabs]", "25.5")
    page.fill("input[name=points_originality]", "8")
    page.fill("input[name=points_method]", "15")
    page.fill("textarea[name=comment_fit]", "Right on the theme of recycled textile.")
    page.fill("textarea[name=comment]", "A maker who will bring a lot to the group.")
    _click(page, page.locator("button[name=submit]"))
    assert page.locator(".error-summary").is_visible()
    assert page.input_value("input[name=points_fablabs]") == "25.5"  # nothing lost
    check_accessibility(page)
    page.fill("input[name=points_fit]", "36.5")
    _click(page, page.locator("button[name=submit]"))
    assert "Your scores are sent" in page.locator(".messages").inner_text()
    assignment = ReviewAssignment.objects.unscoped("test").get(application=app)
    assert assignment.submitted_at is not None

    # --- the programme officer
    page.context.clear_cookies()
    sign_in(page, base, jury_world.officer.email, PASSWORD)
    _go(page, f"{base}/en/programme/selection/{SLUG}/ranking/")
    row = page.locator("tr", has_text=app.reference)
    assert "85,00" in row.inner_text()  # 36.5 + 25.5 + 8 + 15, Belgian format
    _no_sideways_scroll(page, viewport)
    check_accessibility(page)
    _click(page, row.get_by_role("button", name="Invite to an interview"))
    assert "is invited to an interview" in page.locator(".messages").inner_text()
    _click(page, page.locator("tr", has_text=app.reference).get_by_role("link", name="Open"))
    assert "Invited" in page.locator("main").inner_text()
    page.locator("input[name=decision][value=accepted]").check()
    page.fill("textarea[name=message]", "See you on 29 September at GreenFabric.")
    _click(page, page.get_by_role("button", name="Record the decision"))
    assert "Decision recorded" in page.locator(".messages").inner_text()
    _no_sideways_scroll(page, viewport)
    check_accessibility(page)
    _go(page, f"{base}/en/programme/selection/{SLUG}/decisions/")
    check_accessibility(page)
    _click(page, page.get_by_role("button", name="Send 1 decision"))
    assert "1 decisions are being sent" in page.locator(".messages").inner_text()
    sent = Application.objects.unscoped("test").get(pk=app.pk)
    assert sent.state == ApplicationState.ACCEPTED and sent.decision_sent_at is not None
    assert not page.js_errors
