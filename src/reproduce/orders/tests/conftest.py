"""A small production network for orders and dispatch, built through the real services.

* ``customer``: an SME ordering; ``designer``: owns a released stool whose BOM holds a
  3D-printed connector (a sub-design) and which is configurable (extra connectors);
* three fablabs sharing their machines with the network: ``x`` and ``y`` laser-cut plywood
  (``y`` is 5 km away and dearer), ``z`` prints PETG in 3D; all open Monday–Friday 9–17.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone


@dataclass
class Lab:
    org: Any
    manager: Any
    operator: Any
    site: Any
    machine: Any


@dataclass
class DispatchWorld:
    customer: Any
    buyer: Any  # the customer's manager
    other_customer: Any
    other_buyer: Any
    designer: Any
    stool: Any  # released version
    connector: Any  # released version
    x: Lab
    y: Lab
    z: Lab
    coordinator: Any
    actors: dict[str, Any] = field(default_factory=dict)

    def actor(self, user: Any) -> Any:
        from reproduce.core.actor import actor_for_user

        return actor_for_user(user)


def _org(slug: str, kind: str) -> tuple[Any, Any, Any]:
    from reproduce.accounts.models import Membership, Organization, User

    org = Organization.objects.create(name=f"Org {slug}", slug=slug, kind=kind)
    manager = User.objects.create_user(email=f"manager@{slug}.test", password="pw-Test-12345")
    operator = User.objects.create_user(email=f"operator@{slug}.test", password="pw-Test-12345")
    Membership.objects.unscoped("fixture").create(user=manager, organization=org, role="manager")
    Membership.objects.unscoped("fixture").create(user=operator, organization=org, role="operator")
    return org, manager, operator


def _lab(slug: str, process: str, material: str, lat: str, lon: str, rate: str) -> Lab:
    from reproduce.core.actor import actor_for_user
    from reproduce.network import services
    from reproduce.network.models import Commune, Material, Process

    org, manager, operator = _org(slug, "fablab")
    actor = actor_for_user(manager)
    site = services.create_site(
        actor=actor,
        organization=org,
        values={
            "name": f"Lab {slug.upper()}",
            "street": "Rue Ransfort 27",
            "postcode": "1080",
            "latitude": Decimal(lat),
            "longitude": Decimal(lon),
            "commune": Commune.objects.get(nis_code="21012"),
        },
    )
    services.set_opening_hours(
        actor=actor,
        site=site,
        periods=[services.Period(weekday=d, opens=time(9), closes=time(17)) for d in range(5)],
    )
    machine = services.create_machine(
        actor=actor,
        site=site,
        process=Process.objects.get(code=process),
        values={
            "name": f"{process} {slug}",
            "envelope_x_mm": 1000,
            "envelope_y_mm": 600,
            "envelope_z_mm": 300,
            "tolerance_class": "m",
            "hourly_rate": Decimal(rate),
        },
        materials=[Material.objects.get(code=material)],
    )
    services.set_sharing(
        actor=actor, organization=org, group="machines", audience="network", shared_with=[]
    )
    return Lab(org=org, manager=manager, operator=operator, site=site, machine=machine)


def _designs(designer_user: Any, designer: Any) -> tuple[Any, Any]:
    from reproduce.core.actor import actor_for_user
    from reproduce.designs import services as d
    from reproduce.network.models import Material, Process

    actor = actor_for_user(designer_user)
    conn = d.create_design(
        actor=actor,
        organization=designer,
        values={"name": "Connector", "kind": "component", "license": "CERN-OHL-S-2.0"},
        number="1.0",
        visibility="network",
    )
    cv = conn.versions.get()
    d.add_operation(
        actor=actor,
        version=cv,
        values={
            "name": "Print the connector",
            "kind": "fabrication",
            "process": Process.objects.get(code="fdm-printing"),
            "material": Material.objects.get(code="petg"),
            "setup_minutes": Decimal(10),
            "unit_minutes": Decimal(30),
        },
    )
    d.release_version(actor=actor, version=cv)
    stool = d.create_design(
        actor=actor,
        organization=designer,
        values={"name": "Stool", "kind": "product", "license": "CERN-OHL-S-2.0"},
        number="1.0",
        visibility="network",
    )
    sv = stool.versions.get()
    item = d.item_for_design(actor=actor, organization=designer, design=conn)
    d.add_bom_line(actor=actor, version=sv, item=item, quantity=Decimal(4), component_version=cv)
    for name, kind, process, material in [
        ("Cut the plywood", "fabrication", "laser-cutting", "plywood"),
        ("Assemble", "assembly", None, None),
        ("Pack", "packaging", None, None),
    ]:
        d.add_operation(
            actor=actor,
            version=sv,
            values={
                "name": name,
                "kind": kind,
                "process": Process.objects.get(code=process) if process else None,
                "material": Material.objects.get(code=material) if material else None,
                "min_x_mm": 400 if process else None,
                "min_y_mm": 300 if process else None,
                "setup_minutes": Decimal(15),
                "unit_minutes": Decimal(20),
            },
        )
    d.update_version(
        actor=actor,
        version=sv,
        values={
            "configurator": {
                "options": [
                    {
                        "code": "extra_legs",
                        "kind": "count",
                        "label": {"fr": "Pieds en plus", "nl": "Extra poten", "en": "Extra legs"},
                        "min": 0,
                        "max": 2,
                        "default": 0,
                        "adds": [{"component": "connector", "quantity": 2}],
                        "work_factor": "0.25",
                    }
                ]
            }
        },
    )
    d.release_version(actor=actor, version=sv)
    return sv, cv


@pytest.fixture
def world(db: Any) -> DispatchWorld:
    return build_world()


def build_world() -> DispatchWorld:
    """The world of this module's docstring (the root conftest offers it as ``world`` to
    every app's tests)."""
    from reproduce.accounts.models import NetworkRole, User

    customer, buyer, _op = _org("cust", "sme")
    other, other_buyer, _op2 = _org("other", "sme")
    designer, designer_user, _op3 = _org("designer", "sme")
    stool, connector = _designs(designer_user, designer)
    coordinator = User.objects.create_user(email="coord@network.test", password="pw-Test-12345")
    NetworkRole.objects.create(user=coordinator, role="coordinator")
    return DispatchWorld(
        customer=customer,
        buyer=buyer,
        other_customer=other,
        other_buyer=other_buyer,
        designer=designer,
        stool=stool,
        connector=connector,
        x=_lab("labx", "laser-cutting", "plywood", "50.85400", "4.33000", "40"),
        y=_lab("laby", "laser-cutting", "plywood", "50.89900", "4.33000", "60"),
        z=_lab("labz", "fdm-printing", "petg", "50.85000", "4.35000", "20"),
        coordinator=coordinator,
    )


def in_days(days: int) -> Any:
    return timezone.localdate() + timedelta(days=days)
