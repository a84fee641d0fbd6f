"""Applying: drafts, ranking, documents, submission, withdrawal, my data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from reproduce.programme.models import (
    Application,
    ApplicationDocument,
    ApplicationState,
)
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services import applications as svc
from reproduce.programme.tests.fixtures_calls import (
    LINUX_ELF,
    WINDOWS_EXE,
    calls_fixture,  # noqa: F401 - the ``calls`` fixture
    fill_complete,
    pdf,
)

pytestmark = pytest.mark.django_db


def _start(world, user=None):
    return svc.start_application(actor=world.actor(user or world.applicant), call=world.call)


def test_starting_twice_gives_the_same_prefilled_draft(calls):
    application = _start(calls)
    assert application.state == ApplicationState.DRAFT
    assert application.email == "maker@brucycle.test"
    assert application.first_name == "Inès"
    assert _start(calls).pk == application.pk
    assert application.reference.endswith(f"{application.pk:04d}")


def test_ranking_the_same_fablab_twice_is_refused_and_nothing_is_lost(calls):
    application = _start(calls)
    actor = calls.actor(calls.applicant)
    svc.save_application(actor=actor, application=application, values={"phone": "0470"}, choices=[])
    a, b, _c, _d = calls.fablabs
    with pytest.raises(ProgrammeError) as exc:
        svc.save_application(
            actor=actor,
            application=application,
            values={"phone": "0499 99 99 99"},
            choices=[a.pk, b.pk, a.pk],
        )
    assert exc.value.code == "same_fablab_twice"
    assert exc.value.field == "choices"
    application.refresh_from_db()
    assert application.phone == "0470"  # the refused save changed nothing


def test_a_fablab_that_is_not_a_host_is_refused(calls):
    from reproduce.accounts.models import Organization

    stranger = Organization.objects.create(name="Elsewhere", slug="elsewhere", kind="fablab")
    application = _start(calls)
    with pytest.raises(ProgrammeError) as exc:
        svc.save_application(
            actor=calls.actor(calls.applicant),
            application=application,
            values={},
            choices=[stranger.pk],
        )
    assert exc.value.code == "not_a_host_fablab"


def test_the_enterprise_number_is_validated_and_normalised(calls):
    application = _start(calls)
    actor = calls.actor(calls.applicant)
    with pytest.raises(ProgrammeError) as exc:
        svc.save_application(
            actor=actor, application=application, values={"enterprise_number": "0123456789"}
        )
    assert exc.value.code == "invalid_enterprise_number"
    svc.save_application(
        actor=actor, application=application, values={"enterprise_number": "BE 0403170701"}
    )
    application.refresh_from_db()
    assert application.enterprise_number == "0403.170.701"


@pytest.mark.parametrize("content", [WINDOWS_EXE, LINUX_ELF])
def test_an_executable_named_cv_pdf_is_refused(calls, content):
    application = _start(calls)
    with pytest.raises(ProgrammeError) as exc:
        svc.add_document(
            actor=calls.actor(calls.applicant),
            application=application,
            kind="cv",
            upload=pdf("cv.pdf", content),
        )
    assert exc.value.code == "invalid_file"
    assert "cv.pdf" in exc.value.messages[0]
    assert not ApplicationDocument.objects.unscoped("test").exists()


def test_a_pdf_replaces_the_previous_one(calls):
    application = _start(calls)
    actor = calls.actor(calls.applicant)
    svc.add_document(actor=actor, application=application, kind="cv", upload=pdf("old.pdf"))
    svc.add_document(actor=actor, application=application, kind="cv", upload=pdf("new.pdf"))
    assert list(application.documents.values_list("filename", flat=True)) == ["new.pdf"]


def test_an_incomplete_application_is_refused_with_what_is_missing(calls):
    application = _start(calls)
    with pytest.raises(ProgrammeError) as exc:
        svc.submit_application(actor=calls.actor(calls.applicant), application=application)
    assert exc.value.code == "incomplete"
    missing = exc.value.missing  # type: ignore[attr-defined]
    assert "phone" in missing
    assert "CV or biography" in missing
    assert "Motivation letter" in missing
    assert "the ranking of 3 host fablabs" in missing
    assert "Which product do you have in mind?" in missing
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


def test_submitting_after_the_deadline_is_refused_and_the_draft_kept(calls):
    application = fill_complete(calls, _start(calls))
    with pytest.raises(ProgrammeError) as exc:
        svc.submit_application(
            actor=calls.actor(calls.applicant),
            application=application,
            now=calls.call.deadline + timedelta(minutes=1),
        )
    assert exc.value.code == "deadline_passed"
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    assert application.phone and application.documents.count() == 2


def test_submission_sends_a_confirmation_in_the_applicants_language(
    calls, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with translation.override("nl"):
        application = _start(calls)
    assert application.language == "nl"
    fill_complete(calls, application)
    with django_capture_on_commit_callbacks(execute=True):
        svc.submit_application(actor=calls.actor(calls.applicant), application=application)
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    (mail,) = mailoutbox
    assert mail.to == ["maker@brucycle.test"]
    assert application.reference in mail.subject
    assert "Een product ontwikkelen met gerecycleerd textiel" in mail.body
    assert "Developing a product" not in mail.body
    assert f"/nl/programme/applications/{application.pk}/" in mail.body


def test_a_submitted_application_no_longer_changes_and_can_be_withdrawn(calls):
    application = fill_complete(calls, _start(calls))
    actor = calls.actor(calls.applicant)
    svc.submit_application(actor=actor, application=application)
    with pytest.raises(ProgrammeError) as exc:
        svc.save_application(actor=actor, application=application, values={"phone": "1"})
    assert exc.value.code == "not_draft"
    svc.withdraw_application(actor=actor, application=application)
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    with pytest.raises(ProgrammeError) as exc:
        svc.withdraw_application(actor=actor, application=application)
    assert exc.value.code == "invalid_transition"
    # applying again reopens the withdrawn application as a draft
    assert _start(calls).pk == application.pk
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


def test_a_decided_application_cannot_be_withdrawn(calls):
    application = fill_complete(calls, _start(calls))
    Application.objects.unscoped("test").filter(pk=application.pk).update(
        state=ApplicationState.ACCEPTED
    )
    with pytest.raises(ProgrammeError) as exc:
        svc.withdraw_application(actor=calls.actor(calls.applicant), application=application)
    assert exc.value.code == "already_decided"


def test_nobody_else_writes_an_application(calls):
    application = _start(calls)
    for user in (calls.other, calls.officer):
        with pytest.raises(PermissionDenied):
            svc.save_application(
                actor=calls.actor(user), application=application, values={"phone": "1"}
            )
        with pytest.raises(PermissionDenied):
            svc.withdraw_application(actor=calls.actor(user), application=application)


def test_a_closed_call_takes_no_new_application(calls):
    from reproduce.programme.services.calls import close_call

    close_call(actor=calls.actor(calls.officer), call=calls.call)
    with pytest.raises(ProgrammeError) as exc:
        _start(calls)
    assert exc.value.code == "call_not_open"


def test_export_holds_my_data_and_never_the_jurys(calls):
    application = fill_complete(calls, _start(calls))
    Application.objects.unscoped("test").filter(pk=application.pk).update(
        officer_note="SECRET-NOTE"
    )
    data = svc.export_my_data(actor=calls.actor(calls.applicant))
    (row,) = data["applications"]
    assert row["reference"] == application.reference
    assert row["phone"] == "+32 470 12 34 56"
    assert [c["rank"] for c in row["host_fablabs_ranked"]] == [1, 2, 3]
    assert {d["kind"] for d in row["documents"]} == {"cv", "motivation"}
    assert "SECRET-NOTE" not in str(data)
    assert svc.export_my_data(actor=calls.actor(calls.other))["applications"] == []


def test_delete_my_data_deletes_drafts_and_anonymises_submitted_ones(calls):
    from reproduce.programme.tests.fixtures_calls import make_fablabs, published_call

    second = published_call(calls.officer, make_fablabs(0) or calls.fablabs, slug="second")
    submitted = fill_complete(calls, _start(calls))
    svc.submit_application(actor=calls.actor(calls.applicant), application=submitted)
    draft = svc.start_application(actor=calls.actor(calls.applicant), call=second)
    counts = svc.delete_my_data(actor=calls.actor(calls.applicant))
    assert counts == {"deleted": 1, "anonymised": 1}
    assert not Application.objects.unscoped("test").filter(pk=draft.pk).exists()
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED
    assert submitted.applicant_id is None and submitted.anonymised_at is not None
    assert submitted.first_name == submitted.email == submitted.phone == ""
    assert submitted.documents.count() == 0
    assert submitted.choices.count() == 3  # the record of the selection stays
    assert svc.export_my_data(actor=calls.actor(calls.applicant))["applications"] == []
    assert timezone.now() >= submitted.anonymised_at
