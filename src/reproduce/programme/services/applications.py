"""Applying to a call: drafts, documents, submission, withdrawal, and the applicant's own data.

Only the applicant writes their application. A draft can be saved at any time, even half
filled in; what is refused (a fablab ranked twice, an invalid enterprise number, a file that is
not a PDF or an image) leaves the draft as it was. Submission is refused after the deadline
(``deadline_passed``: the draft is kept) and while something is missing (``incomplete``, with the
list). A submitted application can be withdrawn until it is decided.

The applicant can download everything held about them (:func:`export_my_data`) and erase it
(:func:`delete_my_data`): drafts and withdrawn applications are deleted; an application the
jury already received is anonymised instead — its personal data and documents are erased but
the record of the selection (status, dates, fablabs chosen, the jury's scores) remains, because
the programme must account for its selection to its funder (FEDER).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.validators import normalize_enterprise_number
from reproduce.files.errors import Codes, FileRejected
from reproduce.programme.models import (
    DECIDED_STATES,
    Application,
    ApplicationChoice,
    ApplicationDocument,
    ApplicationState,
    Call,
    CallState,
    DocumentKind,
    InterviewSlot,
)
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services.calls import choices_needed

# CVs, letters and portfolios are documents or pictures of work: nothing else is stored.
DOCUMENT_KINDS = frozenset({"pdf", "png", "jpeg", "webp"})
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
PERSON_FIELDS = ["first_name", "last_name", "email", "phone", "postcode"]
ENTERPRISE_FIELDS = [
    "is_future_entrepreneur",
    "enterprise_name",
    "enterprise_number",
    "legal_form",
    "enterprise_created_on",
    "fte",
]
APPLICATION_FIELDS = [*PERSON_FIELDS, *ENTERPRISE_FIELDS, "contribution", "answers", "consent"]
WITHDRAWABLE = (ApplicationState.DRAFT, ApplicationState.SUBMITTED, ApplicationState.INTERVIEW)


def _own(actor: Actor, application: Application) -> None:
    """Only the applicant changes an application (officers read it, they do not write it)."""
    if actor.user_id is None or application.applicant_id != actor.user_id:
        raise PermissionDenied(_("Only the applicant can change this application."))


def _locked_for_update(application: Application) -> Application:
    return (
        Application.objects.unscoped("the applicant's own application, checked by the caller")
        .select_for_update()
        .select_related("call")
        .get(pk=application.pk)
    )


def _draft(application: Application) -> None:
    if application.state != ApplicationState.DRAFT:
        raise ProgrammeError(
            _("This application was already sent: it can no longer be changed."),
            code="not_draft",
        )


# ---------------------------------------------------------------- starting


@transaction.atomic
def start_application(*, actor: Actor, call: Call) -> Application:
    """The actor's application to ``call``: their existing one (a withdrawn one is reopened
    as a draft while the call is open), or a new draft prefilled from their account."""
    if actor.user is None:
        raise PermissionDenied(_("Sign in to apply."))
    existing = (
        Application.objects.visible_to(actor)
        .filter(call=call, applicant_id=actor.user_id)
        .select_for_update()
        .first()
    )
    if existing is not None and existing.state != ApplicationState.WITHDRAWN:
        return existing
    _check_open(call)
    if existing is not None:
        existing.state = ApplicationState.DRAFT
        existing.withdrawn_at = None
        existing.save(update_fields=["state", "withdrawn_at", "updated_at"])
        audit.record(actor=actor, action="application.reopen", obj=existing)
        return existing
    user = actor.user
    application = Application.objects.create(
        reference=uuid.uuid4().hex[:20],
        call=call,
        applicant=user,
        language=(get_language() or user.preferred_language or "fr")[:2],
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
    )
    application.reference = f"{call.opens_on:%y}-{call.pk:02d}-{application.pk:04d}"
    application.save(update_fields=["reference"])
    audit.record(
        actor=actor, action="application.start", obj=application, changes={"call": call.pk}
    )
    return application


def _check_open(call: Call, now: datetime | None = None) -> None:
    if call.state != CallState.PUBLISHED:
        raise ProgrammeError(_("This call is not open for applications."), code="call_not_open")
    if (now or timezone.now()) >= call.deadline:
        raise ProgrammeError(
            _("The deadline of this call has passed: applications can no longer be sent."),
            code="deadline_passed",
        )


# ---------------------------------------------------------------- saving a draft


def _text(value: Any) -> str:
    return str(value or "").strip()


def _enterprise_number(value: Any) -> str:
    raw = _text(value)
    if not raw:
        return ""
    try:
        return normalize_enterprise_number(raw)
    except ValidationError as exc:
        raise ProgrammeError(
            exc.messages[0], code="invalid_enterprise_number", field="enterprise_number"
        ) from exc


def _fte(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        fte = Decimal(str(value).replace(",", ".")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ProgrammeError(
            _("Give the jobs as a number of full-time equivalents, for example 1.5."),
            code="invalid_fte",
            field="fte",
        ) from exc
    if fte < 0 or fte >= 10_000:
        raise ProgrammeError(
            _("Give the jobs as a number of full-time equivalents, for example 1.5."),
            code="invalid_fte",
            field="fte",
        )
    return fte


def _created_on(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError as exc:
            raise ProgrammeError(
                _("Enter a valid date."), code="invalid_date", field="enterprise_created_on"
            ) from exc
    if value > timezone.localdate():
        raise ProgrammeError(
            _("The enterprise cannot be created in the future."),
            code="invalid_date",
            field="enterprise_created_on",
        )
    return value


def _answers(call: Call, given: Any) -> dict[str, str]:
    answers = {}
    given = given or {}
    for question in call.questions or []:
        key = question["key"]
        text = _text(given.get(key))
        if len(text) > int(question.get("max_length") or 2000):
            raise ProgrammeError(
                _("This answer is too long: at most %(max)s characters.")
                % {"max": question.get("max_length")},
                code="answer_too_long",
                field=f"q_{key}",
            )
        answers[key] = text
    return answers


def _apply(application: Application, values: dict[str, Any]) -> None:
    unknown = set(values) - set(APPLICATION_FIELDS)
    if unknown:
        raise ProgrammeError(
            _("Unknown field: %(name)s.") % {"name": sorted(unknown)[0]}, code="unknown_field"
        )
    cleaners: dict[str, Callable[[Any], Any]] = {
        "is_future_entrepreneur": bool,
        "enterprise_number": _enterprise_number,
        "enterprise_created_on": _created_on,
        "fte": _fte,
        "answers": partial(_answers, application.call),
    }
    for name, value in values.items():
        if name == "consent":
            if value and application.consent_at is None:
                application.consent_at = timezone.now()
            elif not value:
                application.consent_at = None
            continue
        setattr(application, name, cleaners.get(name, _text)(value))
    _check_lengths(application)


CHECKED_FIELDS = {*PERSON_FIELDS, "enterprise_name", "legal_form", "contribution"}


def _check_lengths(application: Application) -> None:
    """Lengths and the e-mail address (empty fields are fine in a draft)."""
    exclude = [f.name for f in Application._meta.fields if f.name not in CHECKED_FIELDS]
    exclude += [n for n in CHECKED_FIELDS if not getattr(application, n)]
    try:
        application.clean_fields(exclude=exclude)
    except ValidationError as exc:
        name, errors = next(iter(exc.message_dict.items()))
        raise ProgrammeError(errors[0], code="invalid", field=name) from exc


def clean_choices(call: Call, choices: Sequence[int | None]) -> list[int]:
    """The ranked fablab ids (empty ranks dropped): each a host fablab of the call, once."""
    ranked = [int(c) for c in choices if c not in (None, "")]
    if len(ranked) > 3:
        raise ProgrammeError(
            _("Rank at most three host fablabs."), code="too_many_choices", field="choices"
        )
    if len(set(ranked)) != len(ranked):
        raise ProgrammeError(
            _("You ranked the same fablab twice: choose a different fablab for each rank."),
            code="same_fablab_twice",
            field="choices",
        )
    hosts = set(call.host_fablabs.values_list("pk", flat=True))
    if any(c not in hosts for c in ranked):
        raise ProgrammeError(
            _("Choose among the host fablabs of this call."),
            code="not_a_host_fablab",
            field="choices",
        )
    return ranked


def _save_choices(application: Application, ranked: list[int]) -> None:
    application.choices.all().delete()
    ApplicationChoice.objects.bulk_create(
        ApplicationChoice(application=application, fablab_id=pk, rank=rank)
        for rank, pk in enumerate(ranked, 1)
    )


@transaction.atomic
def save_application(
    *,
    actor: Actor,
    application: Application,
    values: dict[str, Any],
    choices: Sequence[int | None] | None = None,
) -> Application:
    """Save the draft: any subset of the fields (see ``APPLICATION_FIELDS``; ``consent`` is a
    yes/no) and the ranked host fablabs (ids, first choice first; ``None`` keeps them)."""
    _own(actor, application)
    application = _locked_for_update(application)
    _draft(application)
    _apply(application, values)
    if choices is not None:
        _save_choices(application, clean_choices(application.call, choices))
    application.save()
    audit.record(
        actor=actor,
        action="application.save",
        obj=application,
        changes={"fields": sorted(values), "choices": list(choices or [])},
    )
    return application


# ---------------------------------------------------------------- documents


def documents_asked(call: Call) -> list[dict[str, Any]]:
    """The documents the call asks, with their label."""
    labels = dict(DocumentKind.choices)
    return [{**d, "label": labels.get(d["kind"], d["kind"])} for d in call.documents or []]


def _store(upload: Any, filename: str, kind: str) -> Any:
    from reproduce.files.services import ingest

    try:
        return ingest(
            upload,
            filename,
            allowed_kinds=set(DOCUMENT_KINDS),
            max_bytes=min(DOCUMENT_MAX_BYTES, settings.FILES_MAX_BYTES),
        )
    except FileRejected as exc:
        if exc.code in (Codes.TOO_LARGE, Codes.EMPTY):
            raise ProgrammeError(str(exc), code=str(exc.code), field=kind) from exc
        raise ProgrammeError(
            _(
                "“%(name)s” is not a PDF document or an image: send it as a PDF, PNG, JPEG "
                "or WebP file."
            )
            % {"name": filename},
            code="invalid_file",
            field=kind,
        ) from exc


@transaction.atomic
def add_document(
    *, actor: Actor, application: Application, kind: str, upload: Any, filename: str = ""
) -> ApplicationDocument:
    """Attach a CV, motivation letter, portfolio or other document (PDF or image, checked by
    its content); it replaces the previous document of the same kind."""
    _own(actor, application)
    application = _locked_for_update(application)
    _draft(application)
    if kind not in {d["kind"] for d in application.call.documents or []}:
        raise ProgrammeError(
            _("This call does not ask for this document."), code="invalid_document_kind"
        )
    name = filename or getattr(upload, "name", "") or "document"
    blob = _store(upload, name, kind)
    from reproduce.files.services import safe_filename

    application.documents.filter(kind=kind).delete()
    document = ApplicationDocument.objects.create(
        application=application, kind=kind, blob=blob, filename=safe_filename(name)
    )
    audit.record(
        actor=actor,
        action="application.document",
        obj=application,
        changes={"kind": kind, "sha256": blob.sha256[:12]},
    )
    return document


@transaction.atomic
def remove_document(*, actor: Actor, application: Application, kind: str) -> None:
    """Take a document out of a draft."""
    _own(actor, application)
    application = _locked_for_update(application)
    _draft(application)
    application.documents.filter(kind=kind).delete()
    audit.record(
        actor=actor, action="application.document_removed", obj=application, changes={"kind": kind}
    )


# ---------------------------------------------------------------- submitting and withdrawing


def missing_items(application: Application) -> list[str]:
    """What the application still lacks before it can be sent (in words for the applicant)."""
    call = application.call
    labels = {f.name: str(f.verbose_name) for f in Application._meta.fields}
    missing = [labels[n] for n in PERSON_FIELDS if not _text(getattr(application, n))]
    if not application.is_future_entrepreneur and not application.enterprise_name:
        missing.append(_("enterprise name (or tick “I do not have an enterprise yet”)"))
    if not _text(application.contribution):
        missing.append(labels["contribution"])
    for question in call.questions or []:
        if question.get("required") and not _text((application.answers or {}).get(question["key"])):
            missing.append(str(question.get(f"label_{_lang()}") or question["key"]))
    needed = choices_needed(call)
    if application.choices.count() < needed:
        missing.append(_("the ranking of %(count)s host fablabs") % {"count": needed})
    present = set(application.documents.values_list("kind", flat=True))
    for asked in documents_asked(call):
        if asked["required"] and asked["kind"] not in present:
            missing.append(str(asked["label"]))
    if application.consent_at is None:
        missing.append(_("your consent to the processing of your personal data"))
    return missing


def _lang() -> str:
    return (get_language() or "fr")[:2]


@transaction.atomic
def submit_application(
    *, actor: Actor, application: Application, now: datetime | None = None
) -> Application:
    """Send the application to the programme team before the deadline; the applicant gets a
    confirmation e-mail in the application's language."""
    _own(actor, application)
    application = _locked_for_update(application)
    _draft(application)
    now = now or timezone.now()
    if now >= application.call.deadline:
        raise ProgrammeError(
            _(
                "The deadline of this call has passed: the application can no longer be sent. "
                "Your draft is kept."
            ),
            code="deadline_passed",
        )
    _check_open(application.call, now)
    missing = missing_items(application)
    if missing:
        error = ProgrammeError(
            _("The application is not complete: %(missing)s.") % {"missing": "; ".join(missing)},
            code="incomplete",
        )
        error.missing = missing  # type: ignore[attr-defined]
        raise error
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["state", "submitted_at", "updated_at"])
    audit.record(actor=actor, action="application.submit", obj=application)
    from reproduce.programme.tasks_applications import send_application_confirmation

    transaction.on_commit(partial(send_application_confirmation.enqueue, application.pk))
    return application


@transaction.atomic
def withdraw_application(*, actor: Actor, application: Application) -> Application:
    """The applicant withdraws (possible until the decision); a booked interview is freed."""
    _own(actor, application)
    application = _locked_for_update(application)
    if application.state in DECIDED_STATES:
        raise ProgrammeError(
            _("A decision was already taken on this application: it can no longer be withdrawn."),
            code="already_decided",
        )
    if application.state not in WITHDRAWABLE:
        raise ProgrammeError(
            _("This application was already withdrawn."), code="invalid_transition"
        )
    application.state = ApplicationState.WITHDRAWN
    application.withdrawn_at = timezone.now()
    application.save(update_fields=["state", "withdrawn_at", "updated_at"])
    InterviewSlot.objects.unscoped("freeing the withdrawn applicant's slot").filter(
        application=application
    ).update(application=None, booked_at=None)
    audit.record(actor=actor, action="application.withdraw", obj=application)
    return application


# ---------------------------------------------------------------- my data


def my_applications(actor: Actor) -> Any:
    """The actor's own applications (never other people's, even for an officer)."""
    if actor.user_id is None:
        return Application.objects.none()
    return Application.objects.visible_to(actor).filter(applicant_id=actor.user_id)


def _document_out(document: ApplicationDocument) -> dict[str, Any]:
    return {
        "kind": document.kind,
        "filename": document.filename,
        "sha256": document.blob.sha256,
        "size": document.blob.size,
        "uploaded_at": document.uploaded_at.isoformat(),
    }


def application_data(application: Application) -> dict[str, Any]:
    """What the applicant gave and what happened to it — never the jury's scores or notes."""
    return {
        "reference": application.reference,
        "call": {"slug": application.call.slug, "title": application.call.text("title")},
        "state": application.state,
        "language": application.language,
        **{name: getattr(application, name) for name in PERSON_FIELDS},
        "is_future_entrepreneur": application.is_future_entrepreneur,
        "enterprise_name": application.enterprise_name,
        "enterprise_number": application.enterprise_number,
        "legal_form": application.legal_form,
        "enterprise_created_on": application.enterprise_created_on,
        "fte": application.fte,
        "contribution": application.contribution,
        "answers": application.answers,
        "host_fablabs_ranked": [
            {"rank": c.rank, "fablab": c.fablab.name}
            for c in application.choices.select_related("fablab")
        ],
        "documents": [
            _document_out(d) for d in application.documents.select_related("blob").order_by("pk")
        ],
        "consent_at": application.consent_at,
        "created_at": application.created_at,
        "submitted_at": application.submitted_at,
        "withdrawn_at": application.withdrawn_at,
        "decided_at": application.decided_at,
        "anonymised_at": application.anonymised_at,
    }


def export_my_data(*, actor: Actor) -> dict[str, Any]:
    """Everything the programme holds about the actor as an applicant (a JSON-able dict)."""
    if actor.user is None:
        raise PermissionDenied(_("Sign in to export your data."))
    user = actor.user
    rows = my_applications(actor).select_related("call").order_by("created_at")
    applications = [application_data(a) for a in rows]
    data: dict[str, Any] = {
        "exported_at": timezone.now(),
        "person": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "preferred_language": user.preferred_language,
        },
        "applications": applications,
    }
    audit.record(
        actor=actor,
        action="applicant.export",
        object_type="accounts.user",
        object_id=str(user.pk),
        changes={"applications": len(applications)},
    )
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


ANONYMISED: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "",
    "postcode": "",
    "enterprise_name": "",
    "enterprise_number": "",
    "legal_form": "",
    "enterprise_created_on": None,
    "contribution": "",
    "answers": {},
}


def anonymise(application: Application, *, detach: bool = True) -> None:
    """Erase the personal data and documents of an application, keeping its record (status,
    dates, fablabs ranked, scores) for the programme's accounts. ``detach`` also unlinks it from
    the person's account."""
    for name, value in ANONYMISED.items():
        setattr(application, name, value)
    if detach:
        application.applicant = None
    application.anonymised_at = timezone.now()
    application.save()
    application.documents.all().delete()


@transaction.atomic
def delete_my_data(*, actor: Actor) -> dict[str, int]:
    """Erase the actor's applications: drafts and withdrawn ones are deleted; those the
    programme received are anonymised (see the module docstring). Returns the counts."""
    if actor.user is None:
        raise PermissionDenied(_("Sign in to delete your data."))
    rows = list(my_applications(actor).select_for_update())
    deleted = anonymised = 0
    for application in rows:
        if application.state in (ApplicationState.DRAFT, ApplicationState.WITHDRAWN) and not (
            hasattr(application, "participant")
        ):
            InterviewSlot.objects.unscoped("freeing the deleted application's slot").filter(
                application=application
            ).update(application=None, booked_at=None)
            application.delete()
            deleted += 1
        else:
            anonymise(application)
            anonymised += 1
    audit.record(
        actor=actor,
        action="applicant.delete_data",
        object_type="accounts.user",
        object_id=str(actor.user_id),
        changes={"deleted": deleted, "anonymised": anonymised},
    )
    return {"deleted": deleted, "anonymised": anonymised}
