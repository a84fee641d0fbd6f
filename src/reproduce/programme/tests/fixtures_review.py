"""Fixtures of the review and selection tests: an officer, three reviewers, a call with the
snapshot's default grid (fit 40, fablabs 30, originality 10, method 20) and three submitted
applications with their documents, all built through the calls and applications services;
the call is then closed for review."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PASSWORD = "pw-Test-12345"
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
APPLICANTS = [
    # (e-mail, first name, last name, language, enterprise)
    ("ines@brucycle.test", "Inès", "Dubois", "fr", "Atelier BruCycle"),
    ("jan@linnen.test", "Jan", "Peeters", "nl", "Linnen & Co"),
    ("amy@threads.test", "Amy", "Walker", "en", ""),
]


def make_user(
    email: str, role: str | None = None, *, first_name: str = "", last_name: str = ""
) -> Any:
    from reproduce.accounts.models import NetworkRole, User

    user = User.objects.create_user(
        email=email, password=PASSWORD, first_name=first_name, last_name=last_name
    )
    if role:
        NetworkRole.objects.create(user=user, role=role)
    return user


def actor(user: Any) -> Any:
    from reproduce.core.actor import actor_for_user

    return actor_for_user(user)


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, TINY_PDF, content_type="application/pdf")


def make_call(officer: Any, fablabs: list[Any], slug: str = "textile-2025") -> Any:
    from reproduce.programme.services.calls import create_call, publish_call

    today = timezone.localdate()
    values = {
        "slug": slug,
        "title_fr": "Développer un produit à base de textile recyclé",
        "title_nl": "Een product ontwikkelen met gerecycleerd textiel",
        "title_en": "Developing a product from recycled textile",
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
        "places": 2,
        "retention_months": 24,
    }
    call = create_call(
        actor=actor(officer), values=values, host_fablabs=fablabs, questions=QUESTIONS
    )
    return publish_call(actor=actor(officer), call=call)


def submitted_application(call: Any, user: Any, language: str, enterprise: str) -> Any:
    """Apply to ``call`` as ``user`` (in ``language``), fill everything in and submit."""
    from reproduce.programme.services import applications as svc

    me = actor(user)
    with translation.override(language):
        application = svc.start_application(actor=me, call=call)
    svc.save_application(
        actor=me,
        application=application,
        values={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "phone": "+32 470 12 34 56",
            "postcode": "1080",
            "is_future_entrepreneur": not enterprise,
            "enterprise_name": enterprise,
            "contribution": "Sewing, pattern making and a van.",
            "answers": {"product": "A bag from linen offcuts."},
            "consent": True,
        },
        choices=[f.pk for f in call.host_fablabs.order_by("pk")[:3]],
    )
    svc.add_document(actor=me, application=application, kind="cv", upload=pdf("cv.pdf"))
    svc.add_document(actor=me, application=application, kind="motivation", upload=pdf("letter.pdf"))
    return svc.submit_application(actor=me, application=application)


@dataclass
class ReviewWorld:
    officer: Any
    reviewers: list[Any]
    applicants: list[Any]
    call: Any
    applications: list[Any]
    outsider: Any
    fablabs: list[Any] = field(default_factory=list)

    def actor(self, user: Any) -> Any:
        return actor(user)

    def assign(self, application: Any, *reviewers: Any) -> list[Any]:
        from reproduce.programme.services.review import assign_reviewer

        return [
            assign_reviewer(actor=actor(self.officer), application=application, reviewer=r)
            for r in reviewers
        ]


def build_review_world(slug: str = "textile-2025") -> ReviewWorld:
    from reproduce.accounts.models import Organization
    from reproduce.programme.services.calls import close_call

    officer = make_user(f"officer@{slug}.test", "programme_officer", first_name="Olga")
    reviewers = [
        make_user(f"reviewer{n}@{slug}.test", "reviewer", first_name=f"Rita{n}", last_name="Jury")
        for n in (1, 2, 3)
    ]
    fablabs = [
        Organization.objects.create(name=name, slug=f"{slug}-{n}", kind="fablab")
        for n, name in enumerate(["GreenFabric", "MicroFactory", "Cityfab 1"])
    ]
    call = make_call(officer, fablabs, slug)
    applicants, applications = [], []
    for email, first, last, language, enterprise in APPLICANTS:
        user = make_user(email.replace(".test", f".{slug}.test"), first_name=first, last_name=last)
        applicants.append(user)
        applications.append(submitted_application(call, user, language, enterprise))
    call = close_call(actor=actor(officer), call=call)
    outsider = make_user(f"someone@{slug}.test")
    return ReviewWorld(officer, reviewers, applicants, call, applications, outsider, fablabs)


@pytest.fixture
def rw(db: Any) -> ReviewWorld:
    return build_review_world()


def score_all(
    world: ReviewWorld, assignment: Any, points: dict[str, Any], submit: bool = True
) -> Any:
    from reproduce.programme.services.review import save_scores

    return save_scores(
        actor=actor(assignment.reviewer),
        assignment=assignment,
        points=points,
        comments={},
        submit=submit,
    )


def grid(fit: Any, fablabs: Any, originality: Any, method: Any) -> dict[str, Any]:
    return {"fit": fit, "fablabs": fablabs, "originality": originality, "method": method}
