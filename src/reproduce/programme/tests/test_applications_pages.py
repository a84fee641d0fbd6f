"""The public call pages and the applicant's pages."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reproduce.programme.models import Application, ApplicationState
from reproduce.programme.services import applications as svc
from reproduce.programme.tests.fixtures_calls import (
    WINDOWS_EXE,
    call_values,
    calls_fixture,  # noqa: F401 - the ``calls`` fixture
    fill_complete,
    pdf,
)

pytestmark = pytest.mark.django_db


def _url(name, *args, lang="en"):
    with translation.override(lang):
        return reverse(f"programme:{name}", args=args)


def test_public_pages_show_published_calls_in_the_visitors_language(calls, client_for):
    from reproduce.core.actor import actor_for_user
    from reproduce.programme.services.calls import create_call

    create_call(
        actor=actor_for_user(calls.officer),
        values=call_values(title_fr="Brouillon secret", title_en="Secret draft"),
        host_fablabs=calls.fablabs,
    )
    client = client_for(None)
    page = client.get(_url("calls", lang="nl")).content.decode()
    assert "Een product ontwikkelen met gerecycleerd textiel" in page
    assert "Secret draft" not in page and "Brouillon secret" not in page
    detail = client.get(_url("call", calls.call.slug, lang="fr")).content.decode()
    assert "Développer un produit à base de textile recyclé" in detail
    assert "Adéquation thématique" in detail and "GreenFabric" in detail
    assert reverse("account_signup") in detail
    assert client.get(_url("call", "secret-draft")).status_code == 404


def test_applying_from_start_to_submission(
    calls, client_for, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client = client_for(calls.applicant)
    response = client.post(_url("apply", calls.call.slug))
    application = Application.objects.unscoped("test").get(applicant=calls.applicant)
    assert response.url == _url("application", application.pk)
    a, b, c, _d = calls.fablabs
    form = {
        "first_name": "Inès",
        "last_name": "Maker",
        "email": "maker@brucycle.test",
        "phone": "0470 12 34 56",
        "postcode": "1080",
        "is_future_entrepreneur": "on",
        "contribution": "Sewing.",
        "q_product": "A bag.",
        "choice_1": a.pk,
        "choice_2": b.pk,
        "choice_3": a.pk,  # twice: refused, nothing lost
        "consent": "on",
        "doc_cv": pdf("cv.pdf"),
        "action": "save",
    }
    page = client.post(_url("application", application.pk), form)
    assert page.status_code == 200
    text = page.content.decode()
    assert "You ranked the same fablab twice" in text
    assert 'value="0470 12 34 56"' in text
    assert application.documents.filter(kind="cv").exists()  # the CV was kept anyway
    form.update(choice_3=c.pk, doc_cv="", doc_motivation=pdf("letter.pdf"))
    form.pop("doc_cv")
    saved = client.post(_url("application", application.pk), form)
    assert saved.status_code == 302
    application.refresh_from_db()
    assert application.phone == "0470 12 34 56"
    assert [ch.fablab_id for ch in application.choices.all()] == [a.pk, b.pk, c.pk]
    form.pop("doc_motivation")  # sent with the draft
    form["action"] = "submit"
    with django_capture_on_commit_callbacks(execute=True):
        with_submit = client.post(_url("application", application.pk), form)
    assert with_submit.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    status = client.get(_url("application", application.pk)).content.decode()
    assert "Submitted" in status
    assert len(mailoutbox) == 1


def test_an_incomplete_submission_lists_what_is_missing(calls, client_for):
    client = client_for(calls.applicant)
    application = svc.start_application(actor=calls.actor(calls.applicant), call=calls.call)
    page = client.post(_url("application", application.pk), {"action": "submit", "phone": "1"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Still missing" in text and "Motivation letter" in text
    application.refresh_from_db()
    assert application.phone == "1"  # the draft was saved


def test_an_executable_cv_is_refused_with_a_clear_message(calls, client_for):
    client = client_for(calls.applicant)
    application = svc.start_application(actor=calls.actor(calls.applicant), call=calls.call)
    page = client.post(
        _url("application", application.pk),
        {"action": "save", "phone": "0470", "doc_cv": pdf("cv.pdf", WINDOWS_EXE)},
    )
    assert page.status_code == 200
    assert "is not a PDF document or an image" in page.content.decode()
    application.refresh_from_db()
    assert application.phone == "0470" and not application.documents.exists()


def test_another_persons_application_answers_404(calls, client_for):
    application = svc.start_application(actor=calls.actor(calls.applicant), call=calls.call)
    fill_complete(calls, application)
    document = application.documents.first()
    for user in (calls.other, calls.officer):
        client = client_for(user)
        assert client.get(_url("application", application.pk)).status_code == 404
        assert client.post(_url("application_withdraw", application.pk)).status_code == 404
        assert client.get(_url("my_document", document.pk)).status_code == 404
    own = client_for(calls.applicant).get(_url("my_document", document.pk))
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"


def test_the_status_page_never_shows_the_jurys_notes(calls, client_for):
    application = fill_complete(
        calls, svc.start_application(actor=calls.actor(calls.applicant), call=calls.call)
    )
    svc.submit_application(actor=calls.actor(calls.applicant), application=application)
    Application.objects.unscoped("test").filter(pk=application.pk).update(
        officer_note="OFFICER-CANARY"
    )
    page = client_for(calls.applicant).get(_url("application", application.pk)).content.decode()
    assert "OFFICER-CANARY" not in page


def test_withdrawing_from_the_page(calls, client_for):
    application = fill_complete(
        calls, svc.start_application(actor=calls.actor(calls.applicant), call=calls.call)
    )
    svc.submit_application(actor=calls.actor(calls.applicant), application=application)
    client = client_for(calls.applicant)
    assert client.get(_url("application_withdraw", application.pk)).status_code == 200
    client.post(_url("application_withdraw", application.pk), {"confirm": "on"})
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    assert "Withdrawn" in client.get(_url("my_applications")).content.decode()


def test_export_and_delete_my_data_from_the_pages(calls, client_for):
    application = fill_complete(
        calls, svc.start_application(actor=calls.actor(calls.applicant), call=calls.call)
    )
    client = client_for(calls.applicant)
    assert "anonymised" in client.get(_url("my_data")).content.decode()
    export = client.get(_url("my_data_export"))
    assert export["Content-Disposition"].startswith("attachment")
    data = json.loads(export.content)
    assert data["applications"][0]["reference"] == application.reference
    client.post(_url("my_data_delete"), {"confirm": "on"})
    assert not Application.objects.unscoped("test").filter(pk=application.pk).exists()


def test_submitting_after_the_deadline_from_the_page(calls, client_for):
    application = fill_complete(
        calls, svc.start_application(actor=calls.actor(calls.applicant), call=calls.call)
    )
    type(calls.call).objects.unscoped("test").filter(pk=calls.call.pk).update(
        deadline=timezone.now() - timezone.timedelta(minutes=1)
    )
    client = client_for(calls.applicant)
    page = client.post(
        _url("application", application.pk), {"action": "submit", "phone": "0470", "consent": "on"}
    )
    assert page.status_code in (200, 302)
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
