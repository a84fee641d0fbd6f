"""Shared fixtures: a small network built through the real services.

Three organisations: ``org_a`` (the actor's), ``org_b`` (foreign: shares nothing with A) and
``org_c`` (shares its machines with A by name). Each carries canary strings in its private
fields; the permission matrix checks that none leaks into another organisation's answers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


@dataclass
class OrgWorld:
    org: Any
    owner: Any
    manager: Any
    operator: Any
    viewer: Any
    listed_site: Any
    unlisted_site: Any
    machine: Any
    canary: str
    private_canaries: list[str] = field(default_factory=list)


def _make_org(
    slug: str, canary: str, rate: str, *, machines_audience: str, named: list[Any] | None = None
) -> OrgWorld:
    from reproduce.accounts.models import Membership, Organization, User
    from reproduce.core.actor import Actor
    from reproduce.network import services
    from reproduce.network.models import Commune, Material, Process

    org = Organization.objects.create(name=f"Org {slug.upper()}", slug=slug, kind="fablab")
    users = {}
    for role in ("owner", "manager", "operator", "viewer"):
        user = User.objects.create_user(email=f"{role}@{slug}.test", password="pw-Test-12345")
        Membership.objects.unscoped("fixture").create(user=user, organization=org, role=role)
        users[role] = user
    actor = Actor(user=users["owner"], memberships={org.pk: "owner"})
    commune = Commune.objects.get(nis_code="21012")
    laser = Process.objects.get(code="laser-cutting")
    plywood = Material.objects.get(code="plywood")
    # Private data of this organisation carries its canary (contacts, unlisted site, closure
    # reason, hourly rate); the network must never show it to an organisation without access.
    listed = services.create_site(
        actor=actor,
        organization=org,
        values={
            "name": f"Listed {slug}",
            "street": "Rue Ransfort 27",
            "postcode": "1080",
            "latitude": Decimal("50.85400"),
            "longitude": Decimal("4.33000"),
            "commune": commune,
            "email": f"contact-{canary}@example.org",
            "phone": "+32 2 000 00 00",
        },
    )
    unlisted = services.create_site(
        actor=actor,
        organization=org,
        values={
            "name": f"Hidden site {canary}",
            "street": "Rue Ransfort 29",
            "postcode": "1080",
            "latitude": Decimal("50.85410"),
            "longitude": Decimal("4.33010"),
            "commune": commune,
            "is_listed": False,
        },
    )
    services.set_opening_hours(
        actor=actor,
        site=listed,
        periods=[services.Period(weekday=d, opens=time(9), closes=time(17)) for d in range(5)],
    )
    machine = services.create_machine(
        actor=actor,
        site=listed,
        process=laser,
        values={
            "name": f"Laser {slug}",
            "envelope_x_mm": 1000,
            "envelope_y_mm": 600,
            "tolerance_class": "m",
            "hourly_rate": Decimal(rate),
            "description": "Bed with honeycomb table.",
        },
        materials=[plywood],
    )
    services.add_closure(
        actor=actor,
        site=listed,
        start_date=timezone.localdate() + timedelta(days=30),
        end_date=timezone.localdate() + timedelta(days=31),
        reason=f"Closure {canary}",
    )
    services.set_sharing(
        actor=actor,
        organization=org,
        group="machines",
        audience=machines_audience,
        shared_with=named or [_dummy_org()],
    )
    for group in ("contacts", "prices", "capacity"):
        services.set_sharing(
            actor=actor, organization=org, group=group, audience="named", shared_with=[_dummy_org()]
        )
    return OrgWorld(
        org=org,
        listed_site=listed,
        unlisted_site=unlisted,
        machine=machine,
        canary=canary,
        private_canaries=[canary, rate, rate.replace(".", ",")],
        **users,
    )


_DUMMY: dict[str, Any] = {}


def _dummy_org() -> Any:
    from reproduce.accounts.models import Organization

    if "org" not in _DUMMY or not Organization.objects.filter(pk=_DUMMY["org"].pk).exists():
        _DUMMY["org"] = Organization.objects.create(name="Nobody", slug="nobody-shared", kind="sme")
    return _DUMMY["org"]


@dataclass
class Network:
    a: OrgWorld
    b: OrgWorld
    c: OrgWorld
    outsider: Any
    coordinator: Any
    officer: Any
    reviewer: Any


@pytest.fixture
def network(db: Any) -> Network:
    from reproduce.accounts.models import NetworkRole, User

    _DUMMY.clear()
    a = _make_org("orga", "CANARY-A-7f3", "47.13", machines_audience="named")
    b = _make_org("orgb", "CANARY-B-91c", "58.27", machines_audience="named")
    c = _make_org("orgc", "CANARY-C-2d8", "69.41", machines_audience="named", named=[a.org])
    outsider = User.objects.create_user(email="outsider@example.test", password="pw-Test-12345")
    staff = {}
    for role in ("coordinator", "programme_officer", "reviewer"):
        user = User.objects.create_user(email=f"{role}@network.test", password="pw-Test-12345")
        NetworkRole.objects.create(user=user, role=role)
        staff[role] = user
    return Network(
        a=a,
        b=b,
        c=c,
        outsider=outsider,
        coordinator=staff["coordinator"],
        officer=staff["programme_officer"],
        reviewer=staff["reviewer"],
    )


@pytest.fixture
def client_for(db: Any):  # type: ignore[no-untyped-def]
    def make(user: Any | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 at production strength would dominate the suite's time; the hasher is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Any:
    """Code called directly by a test speaks English (the source language); pages requested
    under /fr/ or /nl/ still answer in that language, as the middleware activates it."""
    from django.utils import translation

    with translation.override("en"):
        yield
