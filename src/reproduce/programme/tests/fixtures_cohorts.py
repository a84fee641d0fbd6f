"""Fixtures of the cohorts and events tests: a decided call with two host fablabs, an officer,
three selected applicants (an SME with an enterprise number, an artisan, a future
entrepreneur), the cohort with two of them admitted, and a published event.

Calls and applications are made with the ORM (the calls and decisions services are written
alongside); cohorts, participants and events go through the real services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

PASSWORD = "pw-Test-12345"
SME_NUMBER = "0403.170.701"  # a valid KBO/BCE number (check digits)


@dataclass
class CohortWorld:
    call: Any
    lab1: Any
    lab2: Any
    officer: Any
    reviewer: Any
    stranger: Any
    apps: dict[str, Any]  # "sme", "artisan", "future"
    users: dict[str, Any]
    cohort: Any = None
    participants: dict[str, Any] = field(default_factory=dict)
    event: Any = None

    def actor(self, user: Any) -> Any:
        from reproduce.core.actor import actor_for_user

        return actor_for_user(user)

    @property
    def officer_actor(self) -> Any:
        return self.actor(self.officer)


def make_user(email: str, **extra: Any) -> Any:
    from reproduce.accounts.models import User

    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def make_call(slug: str = "textile-1", *, starts_on: date | None = None, places: int = 10) -> Any:
    from reproduce.programme.models import Call, CallState

    start = starts_on or date(2025, 9, 29)
    return Call.objects.create(
        slug=slug,
        title_fr="Développer un produit à base de textile recyclé",
        title_nl="Een product ontwikkelen op basis van gerecycleerd textiel",
        title_en="Develop a product from recycled textile",
        description_fr="Accompagnement collectif.",
        description_nl="Collectieve begeleiding.",
        description_en="Collective accompaniment.",
        opens_on=start - timedelta(days=105),
        deadline=timezone.make_aware(
            datetime.combine(start - timedelta(days=46), datetime.min.time())
        ),
        starts_on=start,
        ends_on=start + timedelta(days=240),
        places=places,
        state=CallState.DECIDED,
    )


def make_application(call: Any, user: Any, ref: str, **values: Any) -> Any:
    from reproduce.programme.models import Application, ApplicationState

    defaults: dict[str, Any] = {
        "first_name": "Ana",
        "last_name": ref,
        "email": user.email,
        "state": ApplicationState.ACCEPTED,
        "fte": Decimal("1.00"),
        "postcode": "1080",
    }
    defaults.update(values)
    return Application.objects.create(reference=ref, call=call, applicant=user, **defaults)


def officer_user(email: str = "officer@programme.test") -> Any:
    from reproduce.accounts.models import NetworkRole

    user = make_user(email)
    NetworkRole.objects.create(user=user, role="programme_officer")
    return user


def build_world(*, admit: bool = True) -> CohortWorld:
    from reproduce.accounts.models import NetworkRole, Organization
    from reproduce.core.actor import actor_for_user
    from reproduce.programme.services import cohorts

    lab1 = Organization.objects.create(name="GreenFabric", slug="greenfabric", kind="fablab")
    lab2 = Organization.objects.create(name="MicroFactory", slug="microfactory", kind="fablab")
    call = make_call()
    call.host_fablabs.add(lab1, lab2)
    officer = officer_user()
    reviewer = make_user("reviewer@programme.test")
    NetworkRole.objects.create(user=reviewer, role="reviewer")
    stranger = make_user("stranger@example.test")
    users = {k: make_user(f"{k}@maker.test") for k in ("sme", "artisan", "future")}
    apps = {
        "sme": make_application(
            call,
            users["sme"],
            "C1-001",
            enterprise_name="Atelier BruCycle",
            enterprise_number="0403170701",
            legal_form="SRL",
            enterprise_created_on=date(2019, 3, 1),
            fte=Decimal("2.50"),
        ),
        "artisan": make_application(
            call,
            users["artisan"],
            "C1-002",
            enterprise_name="Lin & Co",
            enterprise_number="0417.497.106",
            legal_form="personne physique",
            enterprise_created_on=date(2025, 10, 1),
        ),
        "future": make_application(
            call, users["future"], "C1-003", is_future_entrepreneur=True, fte=None
        ),
    }
    world = CohortWorld(call, lab1, lab2, officer, reviewer, stranger, apps, users)
    if admit:
        officer_actor = actor_for_user(officer)
        world.cohort = cohorts.create_cohort(actor=officer_actor, call=call)
        for key, lab in (("sme", lab1), ("future", lab2)):
            world.participants[key] = cohorts.admit(
                actor=officer_actor, application=apps[key], host_fablab=lab
            )
    return world


@pytest.fixture(name="cw")
def cw_fixture(db: Any) -> CohortWorld:
    return build_world()


@pytest.fixture(name="cw_bare")
def cw_bare_fixture(db: Any) -> CohortWorld:
    return build_world(admit=False)


def make_event(world: CohortWorld, *, capacity: int | None = 2, publish: bool = True) -> Any:
    from reproduce.programme.services import events

    start = timezone.now() + timedelta(days=20)
    event = events.create_event(
        actor=world.officer_actor,
        values={
            "kind": "maker_faire",
            "title_fr": "Maker Faire Bruxelles",
            "title_nl": "Maker Faire Brussel",
            "title_en": "Maker Faire Brussels",
            "description_fr": "Venez rencontrer les makers.",
            "description_nl": "Kom de makers ontmoeten.",
            "description_en": "Come and meet the makers.",
            "starts_at": start,
            "ends_at": start + timedelta(hours=6),
            "place": "Tour & Taxis",
            "capacity": capacity,
        },
    )
    if publish:
        events.publish_event(actor=world.officer_actor, event=event)
    return event


@pytest.fixture(name="immediate_tasks")
def immediate_tasks_fixture(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
