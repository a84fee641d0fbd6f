"""The designs library's rules: the version state machine, BOM cycles and explosion,
comparison, completeness, manufacturability, forks and visibility."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reproduce.core.actor import Actor
from reproduce.core.models import AuditEvent
from reproduce.designs import selectors
from reproduce.designs import services as ds
from reproduce.designs.models import (
    BomLine,
    Design,
    DesignFile,
    DesignVersion,
    Operation,
    QcCriterion,
    SopStep,
    VersionState,
)
from reproduce.network.models import Material, Process

pytestmark = pytest.mark.django_db


def owner(world: Any) -> Actor:
    return Actor(user=world.owner, memberships={world.org.pk: "owner"})


def material_item(actor: Actor, org: Any, name: str = "Birch plywood", unit: str = "MTK") -> Any:
    return ds.create_item(
        actor=actor,
        organization=org,
        values={
            "kind": "material",
            "name": name,
            "material": Material.objects.get(code="plywood"),
            "specification": "18 mm",
            "default_unit": unit,
        },
    )


def released(actor: Actor, org: Any, name: str, lines: list[tuple[Any, str]] = ()) -> Any:
    design = ds.create_design(
        actor=actor, organization=org, values={"name": name, "kind": "component"}
    )
    version = design.versions.get()
    for item, qty in lines:
        ds.add_bom_line(actor=actor, version=version, item=item, quantity=Decimal(qty))
    ds.release_version(actor=actor, version=version, number="1.0")
    return design, version


def test_released_version_is_frozen_and_a_new_draft_copies_everything(network: Any) -> None:
    actor = owner(network.a)
    design = network.a.designs["design"]
    released_v = network.a.designs["released"]
    draft = network.a.designs["version"]
    before = AuditEvent.objects.count()
    with pytest.raises(ds.DesignError) as err:
        ds.add_operation(actor=actor, version=released_v, values={"name": "Sand"})
    assert err.value.code == "version_released"
    with pytest.raises(ds.DesignError):
        ds.update_version(actor=actor, version=released_v, values={"function": "changed"})
    assert AuditEvent.objects.count() == before
    assert Operation.objects.owned_by(network.a.org).filter(version=released_v).count() == 1

    # The draft 1.1 was copied from 1.0: same content, same lineage, files stored once.
    assert draft.number == "1.1" and draft.previous == released_v
    assert draft.change_note
    assert draft.bom_lines.count() == 1
    assert draft.operations.get().lineage == released_v.operations.get().lineage
    assert SopStep.objects.owned_by(network.a.org).filter(operation__version=draft).count() == 1
    assert draft.qc_criteria.get().operation.version == draft
    assert draft.files.get().blob == released_v.files.get().blob
    with pytest.raises(ds.DesignError) as err:
        ds.start_draft(actor=actor, design=design)
    assert err.value.code == "draft_exists"


def test_state_machine_refuses_skipping_states(network: Any) -> None:
    actor = owner(network.a)
    draft = network.a.designs["version"]
    with pytest.raises(ds.DesignError) as err:
        ds.make_obsolete(actor=actor, version=draft)
    assert err.value.code == "invalid_transition"
    released_v = network.a.designs["released"]
    ds.make_obsolete(actor=actor, version=released_v)
    released_v.refresh_from_db()
    assert released_v.state == VersionState.OBSOLETE
    with pytest.raises(ds.DesignError):
        ds.release_version(actor=actor, version=released_v)


def test_release_needs_a_greater_number_and_a_change_note(network: Any) -> None:
    actor = owner(network.a)
    draft = network.a.designs["version"]
    with pytest.raises(ds.DesignError) as err:
        ds.release_version(actor=actor, version=draft, number="1.0")
    assert err.value.code == "version_number"
    with pytest.raises(ds.DesignError) as err:
        ds.release_version(actor=actor, version=draft, number="0.9")
    assert err.value.code == "version_number"
    ds.update_version(actor=actor, version=draft, values={"change_note": ""})
    with pytest.raises(ds.DesignError) as err:
        ds.release_version(actor=actor, version=draft, number="2.0")
    assert err.value.code == "change_note_missing"
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT
    ds.update_version(actor=actor, version=draft, values={"change_note": "Thicker panels"})
    ds.release_version(actor=actor, version=draft, number="2.0")
    assert selectors.default_version(actor, network.a.designs["design"]).number == "2.0"


def test_viewer_cannot_edit_and_operator_can_report_builds(network: Any) -> None:
    viewer = Actor(user=network.a.viewer, memberships={network.a.org.pk: "viewer"})
    with pytest.raises(PermissionDenied):
        ds.add_operation(actor=viewer, version=network.a.designs["version"], values={"name": "x"})


def test_bom_cycle_is_refused_and_nothing_is_written(network: Any) -> None:
    actor = owner(network.a)
    org = network.a.org
    a_design, a_v1 = released(actor, org, "Frame A")
    b_design = ds.create_design(
        actor=actor, organization=org, values={"name": "B", "kind": "product"}
    )
    b_draft = b_design.versions.get()
    ds.add_bom_line(
        actor=actor,
        version=b_draft,
        item=ds.item_for_design(actor=actor, organization=org, design=a_design),
        quantity=Decimal(2),
    )
    ds.release_version(actor=actor, version=b_draft, number="1.0")
    # A's next draft wants to contain B, which contains A.
    a_draft = ds.start_draft(actor=actor, design=a_design, change_note="use B")
    lines_before = BomLine.objects.unscoped("test").count()
    with pytest.raises(ds.DesignError) as err:
        ds.add_bom_line(
            actor=actor,
            version=a_draft,
            item=ds.item_for_design(actor=actor, organization=org, design=b_design),
            quantity=Decimal(1),
        )
    assert err.value.code == "bom_cycle"
    assert "loop back" in err.value.messages[0]
    assert BomLine.objects.unscoped("test").count() == lines_before
    # A design cannot contain itself either.
    with pytest.raises(ds.DesignError):
        ds.add_bom_line(
            actor=actor,
            version=a_draft,
            item=ds.item_for_design(actor=actor, organization=org, design=a_design),
            quantity=Decimal(1),
            component_version=a_v1,
        )


def test_explosion_sums_levels_with_one_query_per_level(network: Any) -> None:
    actor = owner(network.a)
    org = network.a.org
    petg = ds.create_item(
        actor=actor,
        organization=org,
        values={"kind": "material", "name": "PETG", "default_unit": "GRM"},
    )
    bolt = ds.create_item(
        actor=actor,
        organization=org,
        values={"kind": "part", "name": "M8 bolt", "supplier_reference": "DIN 933"},
    )
    connector, _ = released(actor, org, "Connector", [(petg, "45"), (bolt, "2")])
    module, _ = released(
        actor,
        org,
        "Module",
        [(ds.item_for_design(actor=actor, organization=org, design=connector), "4"), (bolt, "1")],
    )
    bench = ds.create_design(
        actor=actor, organization=org, values={"name": "Bench", "kind": "product"}
    )
    top = bench.versions.get()
    ds.add_bom_line(
        actor=actor,
        version=top,
        item=ds.item_for_design(actor=actor, organization=org, design=module),
        quantity=Decimal(3),
    )
    ds.add_bom_line(
        actor=actor,
        version=top,
        item=ds.item_for_design(actor=actor, organization=org, design=connector),
        quantity=Decimal(2),
    )
    with CaptureQueriesContext(connection) as queries:
        explosion = selectors.explode_bom(top, quantity=10)
    needs = {n.name: n.quantity for n in explosion.needs}
    # connectors: 10 × (3 × 4 + 2) = 140 → PETG 140 × 45 g, bolts 140 × 2 + 10 × 3 × 1
    assert needs["PETG"] == Decimal(140 * 45)
    assert needs["M8 bolt"] == Decimal(140 * 2 + 30)
    assert {c[0].design.name: c[1] for c in explosion.components} == {
        "Module": Decimal(30),
        "Connector": Decimal(140),
    }
    assert explosion.levels == 3
    assert len(queries) == 3  # one query per level, whatever the number of lines


def test_compare_shows_bom_and_routing_changes(network: Any) -> None:
    actor = owner(network.a)
    v1 = network.a.designs["released"]
    v2 = network.a.designs["version"]
    screw = ds.create_item(
        actor=actor, organization=network.a.org, values={"kind": "part", "name": "Screw"}
    )
    ds.add_bom_line(actor=actor, version=v2, item=screw, quantity=Decimal(8))
    op = v2.operations.get()
    ds.update_operation(actor=actor, operation=op, values={"unit_minutes": Decimal("12.5")})
    ds.add_operation(actor=actor, version=v2, values={"name": "Oil the wood", "kind": "finishing"})
    diff = selectors.compare_versions(actor, v1, v2)
    assert [(c.label, c.status) for c in diff.bom] == [("Screw", "added")]
    statuses = {c.label: c for c in diff.routing}
    assert statuses["Oil the wood"].status == "added"
    changed = statuses["Cut the panels"]
    assert changed.status == "changed"
    assert ("time per unit (min)", "0", "12.5") in changed.fields
    assert selectors.compare_versions(actor, v1, v1).is_empty


def test_completeness_lists_what_is_missing(network: Any) -> None:
    version = network.a.designs["version"]
    result = selectors.completeness(version)
    assert len(result.elements) == 9
    by_code = {e.code: e for e in result.elements}
    assert not by_code["packaging"].complete
    assert "Packaging, labelling and shipping instructions" in by_code["packaging"].missing
    assert not by_code["cad"].complete  # only a photo
    actor = owner(network.a)
    ds.update_version(
        actor=actor,
        version=version,
        values={
            "packaging_notes": "Flat-packed in recycled cardboard",
            "assembly_not_applicable": True,
        },
    )
    by_code = {e.code: e for e in selectors.completeness(version).elements}
    assert by_code["packaging"].complete and by_code["assembly"].complete
    assert 0 < selectors.completeness(version).score < 100


def test_manufacturability_finds_laser_cutters_and_reports_gaps(network: Any) -> None:
    actor = owner(network.a)
    version = network.a.designs["version"]
    ds.add_operation(
        actor=actor,
        version=version,
        values={
            "name": "Cut a huge panel",
            "process": Process.objects.get(code="laser-cutting"),
            "min_x_mm": 3000,
            "min_y_mm": 2000,
        },
    )
    ds.add_operation(actor=actor, version=version, values={"name": "Pack", "kind": "packaging"})
    result = selectors.manufacturability(actor, version)
    by_name = {r.operation.name: r for r in result}
    cut = by_name["Cut the panels"]
    assert cut.possible and cut.checked
    assert network.a.listed_site.pk in {m.site.pk for m in cut.matches}
    assert not by_name["Cut a huge panel"].possible
    assert by_name["Pack"].possible and not by_name["Pack"].checked


def test_visibility_of_designs_versions_and_files(network: Any) -> None:
    a_member = Actor(user=network.a.viewer, memberships={network.a.org.pk: "viewer"})
    c_member = Actor(user=network.c.viewer, memberships={network.c.org.pk: "viewer"})
    anonymous = Actor(user=None)
    shared = network.b.shared_designs
    visible = set(Design.objects.visible_to(a_member).values_list("pk", flat=True))
    assert shared["design"].pk in visible
    assert network.b.designs["design"].pk not in visible
    assert shared["design"].pk not in set(
        Design.objects.visible_to(c_member).values_list("pk", flat=True)
    )
    assert not Design.objects.visible_to(anonymous).filter(pk=shared["design"].pk).exists()
    # A's workshop sees B's released version and its files, never B's draft.
    actor_b = owner(network.b)
    draft = ds.start_draft(actor=actor_b, design=shared["design"], change_note="next")
    versions = set(
        DesignVersion.objects.visible_to(a_member)
        .filter(design=shared["design"])
        .values_list("pk", flat=True)
    )
    assert versions == {shared["version"].pk}
    internal = draft.files.get()
    ds.update_file(actor=actor_b, design_file=internal, values={"is_internal": True})
    assert DesignFile.objects.visible_to(a_member).filter(pk=shared["file"].pk).exists()
    assert not DesignFile.objects.visible_to(a_member).filter(pk=internal.pk).exists()
    # Publishing makes it visible to everyone, also without an account.
    ds.set_visibility(actor=actor_b, design=shared["design"], visibility="public")
    assert Design.objects.visible_to(anonymous).filter(pk=shared["design"].pk).exists()


def test_fork_keeps_attribution_and_reciprocal_licence(network: Any) -> None:
    actor_a = owner(network.a)
    shared = network.b.shared_designs
    with pytest.raises(ds.DesignError) as err:
        ds.fork_design(
            actor=actor_a, version=shared["version"], organization=network.a.org, license="MIT"
        )
    assert err.value.code == "license_reciprocal"
    fork = ds.fork_design(actor=actor_a, version=shared["version"], organization=network.a.org)
    assert fork.organization == network.a.org
    assert fork.forked_from == shared["version"]
    assert "Shared design orgb 1.0" in fork.attribution
    draft = fork.versions.get()
    assert draft.state == VersionState.DRAFT
    assert draft.operations.count() == 1
    # The fork's BOM uses A's own copies of the items.
    assert {line.item.organization_id for line in draft.bom_lines.select_related("item")} == {
        network.a.org.pk
    }
    assert QcCriterion.objects.owned_by(network.a.org).filter(version=draft).count() == 1


def test_step_html_is_sanitised(network: Any) -> None:
    actor = owner(network.a)
    op = network.a.designs["operation"]
    step = ds.add_step(
        actor=actor,
        operation=op,
        text='<p onclick="x()">Clamp <script>alert(1)</script><b>firmly</b></p>',
    )
    assert "script" not in step.text and "onclick" not in step.text
    assert "<b>firmly</b>" in step.text
    with pytest.raises(ds.DesignError):
        ds.add_step(actor=actor, operation=op, text="<script>only</script>")


def test_reorder_operations(network: Any) -> None:
    actor = owner(network.a)
    version = network.a.designs["version"]
    first = network.a.designs["operation"]
    second = ds.add_operation(actor=actor, version=version, values={"name": "Sand"})
    ds.move_operation(actor=actor, operation=second, offset=-1)
    assert list(version.operations.values_list("name", flat=True)) == ["Sand", first.name]
    with pytest.raises(ds.DesignError):
        ds.reorder_operations(actor=actor, version=version, ordered_ids=[first.pk])


def test_record_build_counts_reproductions(network: Any) -> None:
    shared = network.b.shared_designs
    actor_a = Actor(user=network.a.operator, memberships={network.a.org.pk: "operator"})
    photo = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (16, 16), (1, 2, 3)).save(photo, format="PNG")
    photo.seek(0)
    from datetime import date

    ds.record_build(
        actor=actor_a,
        organization=network.a.org,
        version=shared["version"],
        built_on=date(2026, 3, 1),
        site=network.a.listed_site,
        deviations="Used 15 mm plywood",
        photos=[(photo, "build.png")],
    )
    reports = selectors.reproductions(actor_a, shared["design"])
    assert len(reports) == 2
    assert {s.pk for s in selectors.reproduction_sites(reports)} == {
        network.a.listed_site.pk,
        network.b.listed_site.pk,
    }
