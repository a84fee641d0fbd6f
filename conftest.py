"""Shared fixtures: a small network built through the real services.

Three organisations: ``org_a`` (the actor's), ``org_b`` (foreign: shares nothing with A) and
``org_c`` (shares its machines with A by name). Each carries canary strings in its private
fields; the permission matrix checks that none leaks into another organisation's answers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
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
    # Designs library: the organisation's private draft (with everything hanging from it) and
    # a released design shared by name with organisation A (see _make_designs).
    designs: dict[str, Any] = field(default_factory=dict)
    shared_designs: dict[str, Any] = field(default_factory=dict)
    # Orders and dispatch: the organisation's order (as a customer), the work order offered to
    # its listed site, that offer, and a booking of its machine (see _make_orders). The
    # order's canary may be read by the network coordinators, never by another organisation.
    orders: dict[str, Any] = field(default_factory=dict)
    order_canary: str = ""
    # Stock and lots: a location of the listed site, a received lot (its collection source
    # carries the stock canary, readable by coordinators, never by another organisation),
    # its receipt, a transfer to C, a reservation and a pool (see _make_stock).
    stock: dict[str, Any] = field(default_factory=dict)
    stock_canary: str = ""


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


def _png_bytes(colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _design_world(world: OrgWorld, *, private: bool, shared_with: Any = None) -> dict[str, Any]:
    """A design of ``world``'s organisation with a file, BOM line, operation, SOP step, QC check
    and build report. The private one stays a draft and carries the organisation's canary;
    the shared one is released and shared by name with ``shared_with`` (no canary)."""
    import io
    from datetime import date

    from reproduce.core.actor import Actor
    from reproduce.designs import services as ds
    from reproduce.files.thumbnails import ensure_thumbnail
    from reproduce.network.models import Material, Process

    org = world.org
    actor = Actor(user=world.owner, memberships={org.pk: "owner"})
    mark = f" {world.canary}" if private else ""
    design = ds.create_design(
        actor=actor,
        organization=org,
        values={
            "name": f"{'Private' if private else 'Shared'} design {org.slug}",
            "kind": "product",
            "summary": "A stool",
            "description": f"Design notes{mark}",
            "license": "CERN-OHL-S-2.0",
        },
    )
    version = design.versions.get()
    ds.update_version(actor=actor, version=version, values={"function": f"Sitting{mark}"})
    colour = (10, 20, 30) if private else (200, 100, 50)
    design_file = ds.add_file(
        actor=actor,
        version=version,
        upload=io.BytesIO(_png_bytes(colour if org.slug == "orga" else colour[::-1])),
        filename=f"photo-{org.slug}.png",
        role="image",
    )
    # The thumbnail task runs after commit, which tests never reach: make it here.
    ensure_thumbnail(design_file.blob)
    item = ds.create_item(
        actor=actor,
        organization=org,
        values={
            "kind": "material",
            "name": f"Plywood{mark}",
            "material": Material.objects.get(code="plywood"),
            "specification": "18 mm birch",
            "default_unit": "MTK",
        },
    )
    line = ds.add_bom_line(actor=actor, version=version, item=item, quantity=1)
    operation = ds.add_operation(
        actor=actor,
        version=version,
        values={
            "name": "Cut the panels",
            "process": Process.objects.get(code="laser-cutting"),
            "material": Material.objects.get(code="plywood"),
            "parameters": f"60 % power{mark}",
        },
    )
    step = ds.add_step(actor=actor, operation=operation, text=f"<p>Load the sheet{mark}</p>")
    criterion = ds.add_criterion(
        actor=actor,
        version=version,
        values={"operation": operation, "characteristic": "Edge", "acceptance": f"Clean{mark}"},
    )
    ds.release_version(actor=actor, version=version, number="1.0")
    report = ds.record_build(
        actor=actor,
        organization=org,
        version=version,
        built_on=date(2026, 1, 15),
        site=world.listed_site,
        deviations=f"None{mark}",
        photos=[(io.BytesIO(_png_bytes(colour[::-1] if private else colour)), "build.png")],
    )
    if not private:
        ds.set_visibility(
            actor=actor, design=design, visibility="named", organizations=[shared_with]
        )
        return {
            "design": design,
            "version": version,
            "file": design_file,
            "item": item,
            "line": line,
            "operation": operation,
            "step": step,
            "criterion": criterion,
            "report": report,
        }
    # The organisation's own objects are those of an open draft 1.1 (copied from 1.0): editable.
    draft = ds.start_draft(actor=actor, design=design, change_note="Next version")
    draft_operation = draft.operations.get()
    return {
        "design": design,
        "released": version,
        "version": draft,
        "file": draft.files.get(),
        "item": item,
        "line": draft.bom_lines.get(),
        "operation": draft_operation,
        "step": draft_operation.steps.get(),
        "criterion": draft.qc_criteria.get(),
        "report": report,
    }


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
    plan: Any = None
    # The accompaniment programme's records (see reproduce/programme/tests/matrix.py).
    programme: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def network(db: Any) -> Network:
    return build_network()


def build_network() -> Network:
    """The three organisations, their designs, an outsider and the network staff."""
    from reproduce.accounts.models import NetworkRole, User

    _DUMMY.clear()
    a = _make_org("orga", "CANARY-A-7f3", "47.13", machines_audience="named")
    b = _make_org("orgb", "CANARY-B-91c", "58.27", machines_audience="named")
    c = _make_org("orgc", "CANARY-C-2d8", "69.41", machines_audience="named", named=[a.org])
    for world in (a, b):
        world.designs = _design_world(world, private=True)
    b.shared_designs = _design_world(b, private=False, shared_with=a.org)
    outsider = User.objects.create_user(email="outsider@example.test", password="pw-Test-12345")
    staff = {}
    for role in ("coordinator", "programme_officer", "reviewer"):
        user = User.objects.create_user(email=f"{role}@network.test", password="pw-Test-12345")
        NetworkRole.objects.create(user=user, role=role)
        staff[role] = user
    plan = _make_orders(a, b, c, staff["coordinator"])
    _make_stock(a, b, c)
    from reproduce.programme.tests.matrix import build_programme

    programme = build_programme(a, b, c, staff["programme_officer"], staff["reviewer"])
    return Network(
        a=a,
        b=b,
        c=c,
        outsider=outsider,
        coordinator=staff["coordinator"],
        officer=staff["programme_officer"],
        reviewer=staff["reviewer"],
        plan=plan,
        programme=programme,
    )


def _next_weekday_at(hour: int) -> Any:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _make_orders(a: OrgWorld, b: OrgWorld, c: OrgWorld, coordinator_user: Any) -> Any:
    """An order of A and one of B for C's network-visible pouch (one manual operation, so any
    workshop can do it), each released and offered to its customer's own listed site; a
    booking of each machine by its operator; a published plan."""
    from reproduce.core.actor import actor_for_user
    from reproduce.designs import services as ds
    from reproduce.orders import services as orders
    from reproduce.planning import bookings
    from reproduce.planning.models import PlanRun, PlanState

    maker = actor_for_user(c.owner)
    pouch = ds.create_design(
        actor=maker,
        organization=c.org,
        values={"name": "Hand-sewn pouch", "kind": "product", "license": "CERN-OHL-S-2.0"},
        number="1.0",
        visibility="network",
    )
    version = pouch.versions.get()
    ds.add_operation(actor=maker, version=version, values={"name": "Sew by hand"})
    ds.release_version(actor=maker, version=version)
    coordinator = actor_for_user(coordinator_user)
    for world in (a, b):
        world.order_canary = f"ORDER-{world.org.slug.upper()}-5e1"
        owner = actor_for_user(world.owner)
        order = orders.create_order(
            actor=owner,
            customer=world.org,
            requested_date=timezone.localdate() + timedelta(days=40),
            lines=[orders.LineInput(version, 3)],
            notes=f"Deliver to the back door {world.order_canary}",
        )
        orders.submit_order(actor=owner, order=order)
        work = orders.release_order(actor=coordinator, order=order)
        offer = orders.offer_work_order(
            actor=coordinator, work_order=work[0], site=world.listed_site, override=True
        )
        booking = bookings.book_machine(
            actor=actor_for_user(world.operator),
            machine=world.machine,
            starts_at=_next_weekday_at(10),
            ends_at=_next_weekday_at(11),
            purpose="Prototype",
        )
        from reproduce.planning.ical import ensure_feed

        world.orders = {
            "order": order,
            "work_order": work[0],
            "offer": offer,
            "booking": booking,
            "feed": ensure_feed(world.listed_site),
        }
    return PlanRun.objects.create(
        state=PlanState.DONE, is_published=True, origin=timezone.now(), reason="fixture"
    )


def _make_stock(a: OrgWorld, b: OrgWorld, c: OrgWorld) -> None:
    """A's and B's stock alike; B also pools a lot with A (the shared lot: A may read it and
    its public passport; it carries no canary)."""
    from reproduce.core.actor import actor_for_user
    from reproduce.designs.models import Item
    from reproduce.inventory import services as stock

    for world in (a, b):
        world.stock_canary = f"STOCK-{world.org.slug.upper()}-c4a"
        actor = actor_for_user(world.owner)
        location = stock.create_location(
            actor=actor, site=world.listed_site, code="STORE", name="Store"
        )
        item = Item.objects.create(
            organization=world.org, kind="material", name="Textile waste", default_unit="KGM"
        )
        receipt = stock.receive(
            actor=actor,
            location=location,
            supplier="Collector",
            lines=[
                stock.LotInput(
                    item=item,
                    quantity=Decimal(20),
                    origin="secondary",
                    collection_source=f"Collected at {world.stock_canary}",
                )
            ],
        )
        lot = receipt.lots.get()
        transfer = stock.ship(
            actor=actor, from_location=location, to_site=c.listed_site, lines=[(lot, Decimal(2))]
        )
        reservation = stock.reserve(
            actor=actor,
            lot=lot,
            location=location,
            work_order=world.orders["work_order"],
            quantity=Decimal(1),
        )
        pool = stock.create_pool(
            actor=actor, custodian=world.org, name="Pool", members=[c.org] if world is a else []
        )
        world.stock = {
            "location": location,
            "item": item,
            "lot": lot,
            "receipt": receipt,
            "transfer": transfer,
            "reservation": reservation,
            "pool": pool,
        }
    actor = actor_for_user(b.owner)
    pool = stock.create_pool(actor=actor, custodian=b.org, name="Shared pool", members=[a.org])
    shared = stock.receive(
        actor=actor,
        location=b.stock["location"],
        supplier="Pooled supplier",
        lines=[
            stock.LotInput(
                item=b.stock["item"], quantity=Decimal(5), pool=pool, gtin="4006381333931"
            )
        ],
    ).lots.get()
    stock.set_passport(
        actor=actor, lot=shared, public=True, fields=["materials", "recycled", "care"]
    )
    b.stock.update({"shared_lot": shared, "shared_pool": pool})


@pytest.fixture
def world(db: Any) -> Any:
    """A small production network for orders, dispatch and planning (customer, designer,
    three fablabs, a coordinator): see ``reproduce/orders/tests/conftest.py``."""
    from reproduce.orders.tests.conftest import build_world

    return build_world()


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
def _media_in_tmp(settings: Any, tmp_path_factory: Any) -> None:
    # Uploaded files go to a throw-away folder, never to the developer's data/media.
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Any:
    """Code called directly by a test speaks English (the source language); pages requested
    under /fr/ or /nl/ still answer in that language, as the middleware activates it."""
    from django.utils import translation

    with translation.override("en"):
        yield
