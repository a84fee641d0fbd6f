"""Writing, publishing and closing calls; the FEDER wording rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from reproduce.core.models import AuditEvent
from reproduce.programme.models import Call, CallState
from reproduce.programme.services import ProgrammeError
from reproduce.programme.services.calls import (
    DEFAULT_CRITERIA,
    close_call,
    create_call,
    publish_call,
    update_call,
    wording_messages,
)
from reproduce.programme.tests.fixtures_calls import (
    call_values,
    calls_fixture,  # noqa: F401 - the ``calls`` fixture
    make_fablabs,
    make_officer,
)
from reproduce.programme.wording import find_forbidden

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- wording


@pytest.mark.parametrize(
    "text, words",
    [
        ("Une formation de huit mois", ["formation"]),
        ("Des Formations et un accompagnement", ["Formations"]),
        ("Les participants sont formés aux machines", ["formés"]),
        ("Artisane formée en 2010", ["formée"]),
        ("Formées et formé", ["Formées", "formé"]),
        ("an eight-month training", ["training"]),
        ("Trainings on laser cutters", ["Trainings"]),
        ("Makers trained on machines", ["trained"]),
        ("een opleiding in het fablab", ["opleiding"]),
        ("Opleidingen en workshops", ["Opleidingen"]),
        ("goed opgeleid personeel", ["opgeleid"]),
        ("een training van acht weken", ["training"]),
        ("auto-formation", ["formation"]),
    ],
)
def test_forbidden_words_are_found(text, words):
    assert [f.word for f in find_forbidden(text)] == words


@pytest.mark.parametrize(
    "text",
    [
        "Plus d'information sur la transformation du textile",
        "informations, déformation, reformater, la forme, les formes, uniforme",
        "Information and transformation; a platform; performance; retraining? no: restrained",
        "Informatie over de vorm, transformatie",
        "",
    ],
)
def test_ordinary_words_are_not_flagged(text):
    assert find_forbidden(text) == []


def test_a_finding_suggests_the_words_to_use():
    (fr,) = find_forbidden("une formation")
    (nl,) = find_forbidden("een opleiding")
    (en,) = find_forbidden("a training")
    assert "accompagnement" in fr.suggestion and "session d'apprentissage" in fr.suggestion
    assert "begeleiding" in nl.suggestion and "leersessie" in nl.suggestion
    assert "accompaniment" in en.suggestion and "learning session" in en.suggestion
    assert fr.start == 4 and fr.end == 13


# ---------------------------------------------------------------- creating and publishing


def _officer_and_labs():
    from reproduce.core.actor import actor_for_user

    return actor_for_user(make_officer()), make_fablabs(3)


def test_a_new_call_is_a_draft_with_the_snapshot_grid_and_documents():
    actor, labs = _officer_and_labs()
    call = create_call(actor=actor, values=call_values(), host_fablabs=labs)
    assert call.state == CallState.DRAFT
    assert call.slug == "developing-a-product-from-recycled-textile"
    assert [(c["key"], c["points"]) for c in call.criteria] == [
        ("fit", 40),
        ("fablabs", 30),
        ("originality", 10),
        ("method", 20),
    ]
    assert {d["kind"]: d["required"] for d in call.documents} == {
        "cv": True,
        "motivation": True,
        "portfolio": False,
        "other": False,
    }
    assert set(call.host_fablabs.all()) == set(labs)
    assert AuditEvent.objects.filter(action="call.create", object_id=str(call.pk)).exists()
    again = create_call(actor=actor, values=call_values(), host_fablabs=labs)
    assert again.slug == call.slug + "-2"


def test_only_officers_create_calls(calls):
    with pytest.raises(PermissionDenied):
        create_call(actor=calls.actor(calls.applicant), values=call_values(), host_fablabs=[])


def test_the_grid_must_total_100():
    actor, labs = _officer_and_labs()
    grid = [dict(row) for row in DEFAULT_CRITERIA]
    grid[0]["points"] = 50
    with pytest.raises(ProgrammeError) as exc:
        create_call(actor=actor, values=call_values(), host_fablabs=labs, criteria=grid)
    assert exc.value.code == "criteria_total"
    grid[0]["points"] = "forty"
    with pytest.raises(ProgrammeError) as exc:
        create_call(actor=actor, values=call_values(), host_fablabs=labs, criteria=grid)
    assert exc.value.code == "invalid_points"
    assert not Call.objects.unscoped("test").exists()


def test_dates_must_follow_each_other():
    actor, labs = _officer_and_labs()
    today = timezone.localdate()
    with pytest.raises(ProgrammeError) as exc:
        create_call(
            actor=actor,
            values=call_values(starts_on=today - timedelta(days=1)),
            host_fablabs=labs,
        )
    assert exc.value.code == "invalid_dates"


def test_a_draft_with_a_forbidden_word_is_saved_with_a_warning_and_publishing_is_refused():
    actor, labs = _officer_and_labs()
    call = create_call(
        actor=actor,
        values=call_values(description_fr="Formations et accompagnement pour artisans."),
        host_fablabs=labs,
    )
    assert call.pk and call.state == CallState.DRAFT
    (warning,) = wording_messages(call)
    assert "description_fr" in warning and "accompagnement / atelier" in warning
    with pytest.raises(ProgrammeError) as exc:
        publish_call(actor=actor, call=call)
    assert exc.value.code == "forbidden_wording"
    assert exc.value.field == "description_fr"
    call.refresh_from_db()
    assert call.state == CallState.DRAFT
    update_call(
        actor=actor,
        call=call,
        values={"description_fr": "Ateliers et accompagnement, plus d'information en ligne."},
    )
    assert publish_call(actor=actor, call=call).state == CallState.PUBLISHED


def test_forbidden_words_in_the_criteria_labels_are_refused_too():
    actor, labs = _officer_and_labs()
    grid = [dict(row) for row in DEFAULT_CRITERIA]
    grid[3]["label_en"] = "Willingness to be trained"
    call = create_call(actor=actor, values=call_values(), host_fablabs=labs, criteria=grid)
    with pytest.raises(ProgrammeError) as exc:
        publish_call(actor=actor, call=call)
    assert exc.value.code == "forbidden_wording"


def test_publishing_refuses_an_incomplete_call_or_a_past_deadline():
    actor, labs = _officer_and_labs()
    call = create_call(actor=actor, values=call_values(title_nl=""), host_fablabs=[])
    with pytest.raises(ProgrammeError) as exc:
        publish_call(actor=actor, call=call)
    assert exc.value.code == "incomplete"
    assert "host fablab" in str(exc.value.messages[0])
    assert "Dutch" in str(exc.value.messages[0])
    past = create_call(
        actor=actor,
        values=call_values(
            opens_on=timezone.localdate() - timedelta(days=10),
            deadline=timezone.now() - timedelta(hours=1),
        ),
        host_fablabs=labs,
    )
    with pytest.raises(ProgrammeError) as exc:
        publish_call(actor=actor, call=past)
    assert exc.value.code == "deadline_in_past"


def test_a_published_call_stays_clean_and_a_closed_one_is_locked(calls):
    actor = calls.actor(calls.officer)
    with pytest.raises(ProgrammeError) as exc:
        update_call(actor=actor, call=calls.call, values={"title_en": "A training"})
    assert exc.value.code == "forbidden_wording"
    calls.call.refresh_from_db()
    assert calls.call.title_en == "Developing a product from recycled textile"
    with pytest.raises(ProgrammeError) as exc:
        publish_call(actor=actor, call=calls.call)
    assert exc.value.code == "invalid_transition"
    assert close_call(actor=actor, call=calls.call).state == CallState.CLOSED
    with pytest.raises(ProgrammeError) as exc:
        update_call(actor=actor, call=calls.call, values={"places": 6})
    assert exc.value.code == "call_locked"
    with pytest.raises(ProgrammeError) as exc:
        close_call(actor=actor, call=calls.call)
    assert exc.value.code == "invalid_transition"
