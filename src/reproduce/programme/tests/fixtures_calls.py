"""Fixtures of the calls and applications tests: an officer, four fablabs, an applicant and a
published call (built through the services), plus tiny PDF and executable files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200
LINUX_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def pdf(name: str = "cv.pdf", content: bytes = TINY_PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def call_values(**overrides: Any) -> dict[str, Any]:
    """A complete call whose deadline is in a month."""
    today = timezone.localdate()
    values = {
        "title_fr": "Développer un produit à base de textile recyclé",
        "title_nl": "Een product ontwikkelen met gerecycleerd textiel",
        "title_en": "Developing a product from recycled textile",
        "theme_fr": "Textile d'origine végétale",
        "theme_nl": "Plantaardig textiel",
        "theme_en": "Plant-based textile",
        "description_fr": "Un accompagnement collectif de huit mois dans les fablabs.",
        "description_nl": "Een collectieve begeleiding van acht maanden in de fablabs.",
        "description_en": "An eight-month collective accompaniment in the fablabs.",
        "opens_on": today,
        "deadline": timezone.now() + timedelta(days=30),
        "interviews_from": today + timedelta(days=35),
        "interviews_to": today + timedelta(days=40),
        "announcement_on": today + timedelta(days=45),
        "starts_on": today + timedelta(days=60),
        "ends_on": today + timedelta(days=300),
        "places": 5,
        "retention_months": 24,
    }
    values.update(overrides)
    return values


QUESTIONS = [
    {
        "key": "product",
        "label_fr": "Quel produit imaginez-vous ?",
        "label_nl": "Welk product stelt u zich voor?",
        "label_en": "Which product do you have in mind?",
        "required": True,
        "max_length": 500,
    }
]


@dataclass
class CallWorld:
    officer: Any
    applicant: Any
    other: Any  # another applicant
    fablabs: list[Any]
    call: Any  # published, deadline in a month

    def actor(self, user: Any) -> Any:
        from reproduce.core.actor import actor_for_user

        return actor_for_user(user)


def make_fablabs(count: int = 4) -> list[Any]:
    from reproduce.accounts.models import Organization

    names = ["GreenFabric", "MicroFactory", "Cityfab 1", "Cityfab 2", "Cityfab 3"]
    return [
        Organization.objects.create(
            name=name, slug=name.lower().replace(" ", "-"), kind="fablab", website=""
        )
        for name in names[:count]
    ]


def make_officer(email: str = "officer@programme.test") -> Any:
    from reproduce.accounts.models import NetworkRole, User

    user = User.objects.create_user(email=email, password="pw-Test-12345")
    NetworkRole.objects.create(user=user, role="programme_officer")
    return user


def published_call(officer: Any, fablabs: list[Any], **overrides: Any) -> Any:
    from reproduce.core.actor import actor_for_user
    from reproduce.programme.services.calls import create_call, publish_call

    actor = actor_for_user(officer)
    call = create_call(
        actor=actor, values=call_values(**overrides), host_fablabs=fablabs, questions=QUESTIONS
    )
    return publish_call(actor=actor, call=call)


@pytest.fixture(name="calls")
def calls_fixture(db: Any) -> CallWorld:
    from reproduce.accounts.models import User

    officer = make_officer()
    fablabs = make_fablabs()
    applicant = User.objects.create_user(
        email="maker@brucycle.test",
        password="pw-Test-12345",
        first_name="Inès",
        last_name="Maker",
    )
    other = User.objects.create_user(email="other@maker.test", password="pw-Test-12345")
    return CallWorld(officer, applicant, other, fablabs, published_call(officer, fablabs))


def fill_complete(world: CallWorld, application: Any) -> Any:
    """Fill in everything the call asks (person, enterprise, answers, 3 fablabs, documents)."""
    from reproduce.programme.services import applications as svc

    actor = world.actor(world.applicant)
    svc.save_application(
        actor=actor,
        application=application,
        values={
            "first_name": "Inès",
            "last_name": "Maker",
            "email": "maker@brucycle.test",
            "phone": "+32 470 12 34 56",
            "postcode": "1080",
            "is_future_entrepreneur": True,
            "contribution": "Sewing and pattern making.",
            "answers": {"product": "A bag from linen offcuts."},
            "consent": True,
        },
        choices=[f.pk for f in world.fablabs[:3]],
    )
    svc.add_document(actor=actor, application=application, kind="cv", upload=pdf("cv.pdf"))
    svc.add_document(
        actor=actor, application=application, kind="motivation", upload=pdf("letter.pdf")
    )
    return application
