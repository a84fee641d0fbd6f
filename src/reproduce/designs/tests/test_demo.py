"""The demo designs library loads through the services and shows what the library is for:
multi-level BOMs, version comparison, completeness gaps and a manufacturability gap."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor
from reproduce.designs import selectors
from reproduce.designs.models import (
    BuildReport,
    Design,
    DesignFile,
    DesignVersion,
    ItemKind,
    VersionState,
    Visibility,
)

SLUGS = {
    "mobifab-connector",
    "mobifab-bench",
    "hollander-beater",
    "textile-shredder",
    "brucycle-tote-bag",
}


@pytest.fixture(scope="module")
def demo(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[dict[str, int]]:
    """Load the network and the designs once for the module (≈ 20 s), inside a transaction
    rolled back at the end; each test runs in a savepoint within it, so they stay isolated."""
    from reproduce.designs.demo import load_demo_designs
    from reproduce.network.demo import load_demo_network

    media = str(tmp_path_factory.mktemp("demo-media"))
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        translation.override("en"),
        transaction.atomic(),
    ):
        load_demo_network()
        yield load_demo_designs()
        transaction.set_rollback(True)


def _design(slug: str) -> Design:
    return Design.objects.unscoped("test").get(slug=slug)


def _version(slug: str, number: str) -> DesignVersion:
    return DesignVersion.objects.unscoped("test").get(design__slug=slug, number=number)


def _member_of(slug: str) -> Actor:
    return Actor(memberships={Organization.objects.get(slug=slug).pk: "viewer"})


@pytest.mark.django_db
def test_demo_creates_the_designs_versions_files_builds_and_fork(demo: dict[str, int]) -> None:
    assert demo == {"designs": 5, "versions": 7, "files": 31, "builds": 4, "forks": 1}
    designs = Design.objects.unscoped("test")
    demo_slugs = set(designs.filter(is_demo=True).values_list("slug", flat=True))
    assert demo_slugs - SLUGS == {"broyeuse-textile-variante-cityline"}  # the fork
    fork = designs.get(forked_from__design__slug="textile-shredder")
    assert fork.organization.slug == "cityfab-3"
    assert fork.license == "CERN-OHL-S-2.0"
    assert "GreenFabric" in fork.attribution
    assert BuildReport.objects.unscoped("test").filter(design__slug="hollander-beater").count() == 2
    tote = _design("brucycle-tote-bag")
    assert tote.visibility == Visibility.NAMED
    assert {s.organization.slug for s in tote.shares.all()} == {"greenfabric", "cityfab-1"}
    states = dict(tote.versions.values_list("number", "state"))
    assert states == {"1.0": VersionState.RELEASED, "1.1": VersionState.DRAFT}


@pytest.mark.django_db
def test_stl_and_images_have_thumbnails_without_a_worker(demo: dict[str, int]) -> None:
    files = DesignFile.objects.unscoped("test").select_related("blob")
    previewable = [f for f in files if f.blob.kind in {"stl", "png"}]
    assert previewable
    assert all(f.blob.thumbnail_id for f in previewable), [
        f.filename for f in previewable if not f.blob.thumbnail_id
    ]


@pytest.mark.django_db
def test_second_load_adds_nothing(demo: dict[str, int]) -> None:
    from reproduce.designs.demo import load_demo_designs

    before = (
        Design.objects.unscoped("test").count(),
        DesignVersion.objects.unscoped("test").count(),
        DesignFile.objects.unscoped("test").count(),
        BuildReport.objects.unscoped("test").count(),
    )
    assert load_demo_designs() == {"designs": 0, "versions": 0, "files": 0, "builds": 0, "forks": 0}
    after = (
        Design.objects.unscoped("test").count(),
        DesignVersion.objects.unscoped("test").count(),
        DesignFile.objects.unscoped("test").count(),
        BuildReport.objects.unscoped("test").count(),
    )
    assert after == before


@pytest.mark.django_db
def test_bench_explodes_into_the_connectors_filament(demo: dict[str, int]) -> None:
    bench = _version("mobifab-bench", "1.0")
    connector = _version("mobifab-connector", "1.0")
    connector_line = bench.bom_lines.get(item__kind=ItemKind.DESIGN)
    filament_line = connector.bom_lines.get(item__material__code="rpetg")
    assert connector_line.component_version == connector

    explosion = selectors.explode_bom(bench, quantity=3)

    assert explosion.levels == 2
    assert [(v.design.slug, n) for v, n in explosion.components] == [
        ("mobifab-connector", Decimal(24))
    ]
    filament = [n for n in explosion.needs if n.name == filament_line.item.name]
    assert len(filament) == 1
    assert filament[0].unit == "KGM"
    assert filament[0].quantity == 3 * connector_line.quantity * filament_line.quantity
    assert filament[0].quantity == Decimal("0.96")  # 3 benches × 8 connectors × 40 g
    assert filament[0].used_in == {"Connecteur d'angle MobiFab 1.0"}
    bolts = next(n for n in explosion.needs if "M8 × 120" in n.name)
    assert bolts.quantity == 96


@pytest.mark.django_db
def test_beater_versions_differ_in_bom_routing_and_files(demo: dict[str, int]) -> None:
    old, new = _version("hollander-beater", "1.0"), _version("hollander-beater", "1.1")
    assert new.previous == old
    diff = selectors.compare_versions(_member_of("mekanika"), old, new)

    bom = {c.label: c.status for c in diff.bom}
    assert bom["Fer plat inox 304L 20 × 5 mm (lames du cylindre)"] == "changed"
    assert bom["Tôle acier S235 12 mm"] == "added"
    routing = {c.label: c for c in diff.routing}
    assert routing["Soudage des raidisseurs de platine"].status == "added"
    assert routing["Découpe plasma des platines (acier 8 et 12 mm)"].status == "changed"
    welding = {f for f, _old, _new in routing["Soudage des lames sur le moyeu du cylindre"].fields}
    assert {"time per unit (min)", "critical parameters"} <= welding
    assert {c.label for c in diff.files if c.status == "changed"} == {
        "cylindre-batteur.stl",
        "platine.stl",
        "vue-ensemble.png",
    }
    assert any(c.status == "added" for c in diff.quality)


@pytest.mark.django_db
def test_shredder_is_incomplete_and_says_what_is_missing(demo: dict[str, int]) -> None:
    shredder = selectors.completeness(_version("textile-shredder", "1.0"))
    assert shredder.score < 100
    missing = {e.code: e.missing for e in shredder.elements if not e.complete}
    assert set(missing) >= {"cad", "bom", "materials", "quality", "packaging"}
    assert "A final inspection before delivery" in missing["quality"]
    assert "Every bought part has a supplier reference" in missing["bom"]

    # The well-documented designs are complete: the gaps above are deliberate.
    for slug in ("mobifab-connector", "mobifab-bench", "hollander-beater"):
        assert selectors.completeness(_version(slug, "1.0")).score == 100, slug
    # A sewn product has patterns, not a 3D model: its designer says so, and it is complete.
    tote = selectors.completeness(_version("brucycle-tote-bag", "1.0"))
    assert [m for e in tote.elements for m in e.missing] == []
    assert tote.score == 100


@pytest.mark.django_db
def test_nobody_in_the_network_can_cut_the_shredder_blades(demo: dict[str, int]) -> None:
    checks = selectors.manufacturability(
        _member_of("greenfabric"), _version("textile-shredder", "1.0")
    )
    by_name = {c.operation.name: c for c in checks}

    blades = by_name["Découpe laser fibre des lames (Hardox 450, 6 mm)"]
    assert blades.checked and blades.matches == [] and not blades.possible
    assert [c.operation.name for c in checks if not c.possible] == [blades.operation.name]


@pytest.mark.django_db
def test_every_other_demo_operation_has_a_workshop(demo: dict[str, int]) -> None:
    actor = _member_of("mobifab")
    for slug, number in [
        ("mobifab-connector", "1.0"),
        ("mobifab-bench", "1.0"),
        ("hollander-beater", "1.1"),
        ("brucycle-tote-bag", "1.0"),
    ]:
        gaps = [
            c.operation.name
            for c in selectors.manufacturability(actor, _version(slug, number))
            if not c.possible
        ]
        assert gaps == [], (slug, gaps)
