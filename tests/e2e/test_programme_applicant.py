"""The applicant's phone journey (390 × 844): open the public call, create an account from
it, fill the application, rank three host fablabs (the same one twice is refused, nothing is
lost), upload a CV and a motivation letter (tiny PDFs made here), save the draft, come back
later, send it and see the status "Submitted".

The call is created and published through the services in the live server's database (the
demo network may not hold a programme yet).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from tests.e2e.conftest import PHONE, check_accessibility

EMAIL = "ines.maker@example.test"
PASSWORD = "Un-mot-de-passe-2025!"
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _published_call() -> tuple[Any, list[Any]]:
    from reproduce.accounts.models import NetworkRole, Organization, User
    from reproduce.core.actor import actor_for_user
    from reproduce.programme.services.calls import create_call, publish_call

    officer = User.objects.create_user(email="officer@e2e.test", password="pw-Test-12345")
    NetworkRole.objects.create(user=officer, role="programme_officer")
    fablabs = list(Organization.objects.filter(kind="fablab", is_active=True).order_by("name")[:4])
    for n in range(len(fablabs), 4):
        fablabs.append(
            Organization.objects.create(
                name=f"Fablab E2E {n}", slug=f"fablab-e2e-{n}", kind="fablab"
            )
        )
    today = timezone.localdate()
    actor = actor_for_user(officer)
    call = create_call(
        actor=actor,
        values={
            "slug": "e2e-textile",
            "title_fr": "Développer un produit à base de textile recyclé",
            "title_nl": "Een product ontwikkelen met gerecycleerd textiel",
            "title_en": "Developing a product from recycled textile",
            "theme_fr": "Textile d'origine végétale (lin, coton, chanvre)",
            "theme_en": "Plant-based textile (linen, cotton, hemp)",
            "description_fr": "Huit mois d'accompagnement collectif dans les fablabs.",
            "description_nl": "Acht maanden collectieve begeleiding in de fablabs.",
            "description_en": "Eight months of collective accompaniment in the fablabs.",
            "opens_on": today,
            "deadline": timezone.now() + timedelta(days=20),
            "interviews_from": today + timedelta(days=25),
            "interviews_to": today + timedelta(days=30),
            "announcement_on": today + timedelta(days=32),
            "starts_on": today + timedelta(days=45),
            "ends_on": today + timedelta(days=270),
            "places": 5,
        },
        host_fablabs=fablabs,
    )
    return publish_call(actor=actor, call=call), fablabs


def _fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"


def _pdf(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(TINY_PDF)
    return str(path)


def test_an_applicant_applies_on_the_phone(browser: Any, demo_server: Any, tmp_path: Path):
    call, fablabs = _published_call()
    base = demo_server.url
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # the public call, in English
    page.goto(f"{base}/en/programme/calls/")
    page.get_by_role("link", name="Developing a product from recycled textile").click()
    page.wait_for_load_state("networkidle")
    main = page.locator("main")
    assert "Thematic fit" in main.inner_text() and fablabs[0].name in main.inner_text()
    _fits_the_phone(page)
    check_accessibility(page)

    # no account yet: sign up from the call, then start the application
    page.get_by_role("link", name="Create an account").click()
    page.wait_for_load_state("networkidle")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    if "/apply/" not in page.url:  # allauth may land elsewhere: go back to the call
        page.goto(f"{base}/en/programme/calls/{call.slug}/apply/")
    page.get_by_role("button", name="Start my application").click()
    page.wait_for_load_state("networkidle")
    assert "My application" in page.locator("h1").inner_text()
    assert page.input_value("input[name=email]") == EMAIL
    _fits_the_phone(page)
    check_accessibility(page)

    # fill in, ranking the same fablab twice
    page.fill("input[name=first_name]", "Inès")
    page.fill("input[name=last_name]", "Maker")
    page.fill("input[name=phone]", "+32 470 12 34 56")
    page.fill("input[name=postcode]", "1080")
    page.check("input[name=is_future_entrepreneur]")
    page.fill("textarea[name=contribution]", "Pattern making and sewing; a network of tailors.")
    page.select_option("select[name=choice_1]", str(fablabs[0].pk))
    page.select_option("select[name=choice_2]", str(fablabs[1].pk))
    page.select_option("select[name=choice_3]", str(fablabs[0].pk))
    page.set_input_files("input[name=doc_cv]", _pdf(tmp_path, "cv.pdf"))
    page.set_input_files("input[name=doc_motivation]", _pdf(tmp_path, "motivation.pdf"))
    page.check("input[name=consent]")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_load_state("networkidle")
    assert "You ranked the same fablab twice" in page.locator("main").inner_text()
    assert page.input_value("input[name=phone]") == "+32 470 12 34 56"  # nothing lost
    assert "cv.pdf" in page.locator("#section-documents").inner_text()  # stored anyway
    check_accessibility(page)

    page.select_option("select[name=choice_3]", str(fablabs[2].pk))
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_load_state("networkidle")
    assert "Your draft is saved" in page.locator(".messages").inner_text()

    # come back later: everything is there
    page.goto(f"{base}/en/programme/applications/")
    page.get_by_role("link", name="Developing a product from recycled textile").click()
    page.wait_for_load_state("networkidle")
    assert page.input_value("input[name=postcode]") == "1080"
    assert page.input_value("select[name=choice_3]") == str(fablabs[2].pk)
    assert "motivation.pdf" in page.locator("#section-documents").inner_text()
    _fits_the_phone(page)

    page.get_by_role("button", name="Send my application").click()
    page.wait_for_load_state("networkidle")
    assert "Submitted" in page.locator(".status-line").inner_text()
    _fits_the_phone(page)
    check_accessibility(page)
    page.goto(f"{base}/en/programme/applications/")
    assert "Submitted" in page.locator("main").inner_text()
    assert not errors
    context.close()
