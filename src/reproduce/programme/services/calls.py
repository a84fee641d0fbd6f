"""Writing, publishing and closing calls for applications (programme officers).

A call is written in French, Dutch and English. A draft may be incomplete and may still hold a
word the FEDER rule forbids (the page warns); publishing refuses both (``incomplete``,
``forbidden_wording``) and a deadline already past (``deadline_in_past``). A published call can
still be corrected, but it must stay complete and free of forbidden words. A closed or decided
call no longer changes (``call_locked``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from reproduce.accounts.models import Organization
from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.programme.models import Call, CallState, DocumentKind
from reproduce.programme.services import ProgrammeError
from reproduce.programme.wording import Finding, check_texts, describe

LANGUAGES = ("fr", "nl", "en")
TEXT_FIELDS = [f"{name}_{lang}" for name in ("title", "theme", "description") for lang in LANGUAGES]
DATE_FIELDS = [
    "opens_on",
    "interviews_from",
    "interviews_to",
    "announcement_on",
    "starts_on",
    "ends_on",
]
CALL_FIELDS = [
    "slug",
    *TEXT_FIELDS,
    *DATE_FIELDS,
    "deadline",
    "places",
    "retention_months",
]
# What an applicant must fill in (title and description in the three languages).
REQUIRED_TEXTS = [f"{name}_{lang}" for name in ("title", "description") for lang in LANGUAGES]
GRID_TOTAL = 100
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ANSWER_LENGTH = 10_000

# The snapshot's grid (§6, "Critères de sélection").
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    {
        "key": "fit",
        "label_fr": "Adéquation thématique",
        "label_nl": "Thematische aansluiting",
        "label_en": "Thematic fit",
        "points": 40,
    },
    {
        "key": "fablabs",
        "label_fr": "Pertinence du recours aux fablabs et aux outils numériques",
        "label_nl": "Relevantie van fablabs en digitale tools",
        "label_en": "Relevance of fablabs and digital tools",
        "points": 30,
    },
    {
        "key": "originality",
        "label_fr": "Originalité et créativité",
        "label_nl": "Originaliteit en creativiteit",
        "label_en": "Originality and creativity",
        "points": 10,
    },
    {
        "key": "method",
        "label_fr": "Qualité méthodologique, durabilité et collaboration",
        "label_nl": "Methodologische kwaliteit, duurzaamheid en samenwerking",
        "label_en": "Method, sustainability and collaboration",
        "points": 20,
    },
]
DEFAULT_DOCUMENTS: list[dict[str, Any]] = [
    {"kind": DocumentKind.CV.value, "required": True},
    {"kind": DocumentKind.MOTIVATION.value, "required": True},
    {"kind": DocumentKind.PORTFOLIO.value, "required": False},
    {"kind": DocumentKind.OTHER.value, "required": False},
]


# ---------------------------------------------------------------- validating the parts


def _label(row: dict[str, Any], lang: str) -> str:
    return str(row.get(f"label_{lang}") or "").strip()


def _key(row: dict[str, Any], what: str, field: str) -> str:
    key = str(row.get("key") or "").strip()
    if not KEY_RE.match(key):
        raise ProgrammeError(
            _(
                "“%(key)s” is not a valid key for a %(what)s: use lower-case letters, digits "
                "and _ (starting with a letter)."
            )
            % {"key": key, "what": what},
            code="invalid_key",
            field=field,
        )
    return key


def _unique(keys: list[str], field: str) -> None:
    seen = [k for i, k in enumerate(keys) if k in keys[:i]]
    if seen:
        raise ProgrammeError(
            _("The key “%(key)s” is used twice.") % {"key": seen[0]},
            code="duplicate_key",
            field=field,
        )


def _points(value: Any) -> int | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.to_integral_value() or number <= 0:
        return None
    return int(number)


def clean_criteria(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grid as stored: keys unique, whole positive points, totalling 100."""
    grid: list[dict[str, Any]] = []
    for row in rows:
        points = _points(row.get("points"))
        if points is None:
            raise ProgrammeError(
                _("Each criterion needs a whole number of points above zero."),
                code="invalid_points",
                field="criteria",
            )
        grid.append(
            {
                "key": _key(row, _("criterion"), "criteria"),
                **{f"label_{lang}": _label(row, lang) for lang in LANGUAGES},
                "points": points,
            }
        )
    _unique([r["key"] for r in grid], "criteria")
    total = sum(r["points"] for r in grid)
    if total != GRID_TOTAL:
        raise ProgrammeError(
            _("The criteria must total %(expected)s points (now %(total)s).")
            % {"expected": GRID_TOTAL, "total": total},
            code="criteria_total",
            field="criteria",
        )
    return grid


def clean_questions(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    for row in rows:
        try:
            max_length = int(row.get("max_length") or 2000)
        except (TypeError, ValueError):
            max_length = 0
        if not 1 <= max_length <= MAX_ANSWER_LENGTH:
            raise ProgrammeError(
                _("The length of an answer must be between 1 and %(max)s characters.")
                % {"max": MAX_ANSWER_LENGTH},
                code="invalid_max_length",
                field="questions",
            )
        questions.append(
            {
                "key": _key(row, _("question"), "questions"),
                **{f"label_{lang}": _label(row, lang) for lang in LANGUAGES},
                "required": bool(row.get("required")),
                "max_length": max_length,
            }
        )
    _unique([q["key"] for q in questions], "questions")
    return questions


def clean_documents(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    documents = []
    for row in rows:
        kind = str(row.get("kind") or "")
        if kind not in DocumentKind.values:
            raise ProgrammeError(
                _("“%(kind)s” is not a kind of document.") % {"kind": kind},
                code="invalid_document_kind",
                field="documents",
            )
        documents.append({"kind": kind, "required": bool(row.get("required"))})
    kinds = [d["kind"] for d in documents]
    seen = [k for i, k in enumerate(kinds) if k in kinds[:i]]
    if seen:
        raise ProgrammeError(
            _("The document “%(kind)s” is asked twice.") % {"kind": seen[0]},
            code="duplicate_key",
            field="documents",
        )
    return documents


def _check_fablabs(host_fablabs: Sequence[Organization]) -> None:
    inactive = [o for o in host_fablabs if not o.is_active]
    if inactive:
        raise ProgrammeError(
            _("%(name)s is no longer active in the network.") % {"name": inactive[0].name},
            code="inactive_organization",
            field="host_fablabs",
        )


def _as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _check_dates(call: Call) -> None:
    """Launch ≤ deadline ≤ interviews ≤ announcement ≤ start ≤ end (those given)."""
    order = [
        ("opens_on", call.opens_on),
        ("deadline", _as_date(call.deadline)),
        ("interviews_from", call.interviews_from),
        ("interviews_to", call.interviews_to),
        ("announcement_on", call.announcement_on),
        ("starts_on", call.starts_on),
        ("ends_on", call.ends_on),
    ]
    given = [(name, value) for name, value in order if value is not None]
    for (_before, earlier), (name, later) in pairwise(given):
        if later < earlier:  # type: ignore[operator]
            raise ProgrammeError(
                _(
                    "The dates are not in order: launch, deadline, interviews, announcement, "
                    "start and end of the accompaniment follow each other."
                ),
                code="invalid_dates",
                field=name,
            )


def _unique_slug(call: Call) -> str:
    base = slugify(call.slug or call.title_en or call.title_fr or call.title_nl)[:70] or "call"
    slug, n = base, 2
    taken = Call.objects.unscoped("a slug is unique across every call").exclude(pk=call.pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply(call: Call, values: dict[str, Any]) -> None:
    unknown = set(values) - set(CALL_FIELDS)
    if unknown:
        raise ProgrammeError(
            _("Unknown field: %(name)s.") % {"name": sorted(unknown)[0]}, code="unknown_field"
        )
    for name, value in values.items():
        if name in TEXT_FIELDS:
            value = (value or "").strip()
        setattr(call, name, value)


def _validate(call: Call) -> None:
    """Types and ranges of the fields (texts may still be empty in a draft)."""
    from django.core.exceptions import ValidationError

    try:
        call.full_clean(
            exclude=[*REQUIRED_TEXTS, "host_fablabs", "slug", "criteria", "questions", "documents"]
        )
    except ValidationError as exc:
        name, errors = next(iter(exc.message_dict.items()))
        raise ProgrammeError(errors[0], code="invalid", field=name) from exc
    _check_dates(call)


def _save_parts(
    call: Call,
    host_fablabs: Sequence[Organization] | None,
    criteria: Iterable[dict[str, Any]] | None,
    questions: Iterable[dict[str, Any]] | None,
    documents: Iterable[dict[str, Any]] | None,
) -> None:
    if criteria is not None:
        call.criteria = clean_criteria(criteria)
    if questions is not None:
        call.questions = clean_questions(questions)
    if documents is not None:
        call.documents = clean_documents(documents)
    call.save()
    if host_fablabs is not None:
        fablabs = list(host_fablabs)
        _check_fablabs(fablabs)
        call.host_fablabs.set(fablabs)


# ---------------------------------------------------------------- the wording rule


def call_texts(call: Call) -> dict[str, str]:
    """Every text of the call an applicant reads: titles, themes, descriptions, the labels of
    the criteria and questions (field name → text)."""
    texts = {name: str(getattr(call, name) or "") for name in TEXT_FIELDS}
    for part in ("criteria", "questions"):
        for row in getattr(call, part) or []:
            for lang in LANGUAGES:
                texts[f"{part}.{row.get('key')}.label_{lang}"] = str(row.get(f"label_{lang}", ""))
    return texts


def wording_findings(call: Call) -> dict[str, list[Finding]]:
    """The forbidden words of each text of the call (only the texts with one)."""
    return check_texts(call_texts(call))


def wording_messages(call: Call) -> list[str]:
    """One message per text holding a forbidden word, for the officer's page."""
    messages = []
    for name, findings in wording_findings(call).items():
        language = name.rsplit("_", 1)[-1] if name.rsplit("_", 1)[-1] in LANGUAGES else None
        messages.append(f"{name}: {describe(findings, language)}")
    return messages


def _refuse_forbidden_wording(call: Call) -> None:
    found = wording_findings(call)
    if found:
        name, findings = next(iter(found.items()))
        language = name.rsplit("_", 1)[-1]
        field = name if name in TEXT_FIELDS else name.split(".", 1)[0]
        raise ProgrammeError(
            describe(findings, language if language in LANGUAGES else None),
            code="forbidden_wording",
            field=field,
        )


# ---------------------------------------------------------------- completeness


def missing_for_publication(call: Call) -> list[str]:
    """What the call still lacks before it can be published (in words for the officer)."""
    missing = []
    labels = {
        f.name: str(f.verbose_name) for f in Call._meta.get_fields() if hasattr(f, "verbose_name")
    }
    missing += [labels[name] for name in REQUIRED_TEXTS if not str(getattr(call, name)).strip()]
    if call.pk is None or not call.host_fablabs.exists():
        missing.append(_("at least one host fablab"))
    if not call.criteria:
        missing.append(_("the scoring grid"))
    else:
        for row in call.criteria:
            if any(not _label(row, lang) for lang in LANGUAGES):
                missing.append(
                    _("the labels of the criterion “%(key)s” in the three languages")
                    % {"key": row.get("key")}
                )
    for row in call.questions or []:
        if any(not _label(row, lang) for lang in LANGUAGES):
            missing.append(
                _("the labels of the question “%(key)s” in the three languages")
                % {"key": row.get("key")}
            )
    return missing


# ---------------------------------------------------------------- writes


@transaction.atomic
def create_call(
    *,
    actor: Actor,
    values: dict[str, Any],
    host_fablabs: Sequence[Organization],
    criteria: Iterable[dict[str, Any]] | None = None,
    questions: Iterable[dict[str, Any]] | None = None,
    documents: Iterable[dict[str, Any]] | None = None,
) -> Call:
    """A new call, as a draft. The grid defaults to the snapshot's (40/30/10/20) and the
    documents asked to CV and motivation letter (required), portfolio and other (optional)."""
    require(actor, "programme.manage")
    call = Call(created_by=actor.user)
    _apply(call, values)
    call.slug = _unique_slug(call)
    _validate(call)
    _save_parts(
        call,
        host_fablabs,
        DEFAULT_CRITERIA if criteria is None else criteria,
        questions if questions is not None else [],
        DEFAULT_DOCUMENTS if documents is None else documents,
    )
    audit.record(
        actor=actor,
        action="call.create",
        obj=call,
        changes={"slug": call.slug, "title_fr": call.title_fr},
    )
    return call


@transaction.atomic
def update_call(
    *,
    actor: Actor,
    call: Call,
    values: dict[str, Any],
    host_fablabs: Sequence[Organization] | None = None,
    criteria: Iterable[dict[str, Any]] | None = None,
    questions: Iterable[dict[str, Any]] | None = None,
    documents: Iterable[dict[str, Any]] | None = None,
) -> Call:
    """Change a draft or published call (``None`` parts stay as they are). A published call
    must stay complete and free of forbidden words."""
    require(actor, "programme.manage")
    call = Call.objects.unscoped("an officer edits the call").select_for_update().get(pk=call.pk)
    if call.state not in (CallState.DRAFT, CallState.PUBLISHED):
        raise ProgrammeError(
            _("This call is closed: it can no longer be changed."), code="call_locked"
        )
    before = audit.snapshot(call, ["slug", *TEXT_FIELDS, *DATE_FIELDS, "deadline", "places"])
    _apply(call, values)
    if "slug" in values:
        call.slug = _unique_slug(call)
    _validate(call)
    _save_parts(call, host_fablabs, criteria, questions, documents)
    if call.state == CallState.PUBLISHED:
        _refuse_unpublishable(call, check_deadline=False)
    after = audit.snapshot(call, list(before))
    changes: dict[str, Any] = audit.diff(before, after)
    for part, given in (("criteria", criteria), ("questions", questions), ("documents", documents)):
        if given is not None:
            changes[part] = getattr(call, part)
    if host_fablabs is not None:
        changes["host_fablabs"] = sorted(o.pk for o in host_fablabs)
    audit.record(actor=actor, action="call.update", obj=call, changes=changes)
    return call


def _refuse_unpublishable(call: Call, *, check_deadline: bool) -> None:
    missing = missing_for_publication(call)
    if missing:
        error = ProgrammeError(
            _("The call is not complete: %(missing)s.") % {"missing": "; ".join(missing)},
            code="incomplete",
        )
        error.missing = missing  # type: ignore[attr-defined]
        raise error
    _refuse_forbidden_wording(call)
    if check_deadline and call.deadline <= timezone.now():
        raise ProgrammeError(
            _("The deadline has already passed: choose a later one before publishing."),
            code="deadline_in_past",
            field="deadline",
        )


@transaction.atomic
def publish_call(*, actor: Actor, call: Call) -> Call:
    """Open the call to applications: it becomes public."""
    require(actor, "programme.manage")
    call = (
        Call.objects.unscoped("an officer publishes the call").select_for_update().get(pk=call.pk)
    )
    if call.state != CallState.DRAFT:
        raise ProgrammeError(_("Only a draft call can be published."), code="invalid_transition")
    _refuse_unpublishable(call, check_deadline=True)
    call.state = CallState.PUBLISHED
    call.published_at = timezone.now()
    call.save(update_fields=["state", "published_at"])
    audit.record(actor=actor, action="call.publish", obj=call, changes={"state": call.state})
    return call


@transaction.atomic
def close_call(*, actor: Actor, call: Call) -> Call:
    """Stop accepting applications (review and interviews follow). Drafts stay drafts."""
    require(actor, "programme.manage")
    updated = (
        Call.objects.unscoped("an officer closes the call")
        .filter(pk=call.pk, state=CallState.PUBLISHED)
        .update(state=CallState.CLOSED)
    )
    if not updated:
        raise ProgrammeError(_("Only a published call can be closed."), code="invalid_transition")
    call.refresh_from_db()
    audit.record(actor=actor, action="call.close", obj=call, changes={"state": call.state})
    return call


# ---------------------------------------------------------------- reads used by the pages


def is_open(call: Call, now: datetime | None = None) -> bool:
    """Whether applications can be submitted to the call now."""
    return call.state == CallState.PUBLISHED and (now or timezone.now()) < call.deadline


def choices_needed(call: Call) -> int:
    """How many host fablabs an applicant ranks: three, or fewer if the call offers fewer."""
    return min(3, call.host_fablabs.count())
