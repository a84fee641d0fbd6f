"""Shop-floor services: the run's lifecycle, declarations, consumption and finishing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reproduce.core.models import AuditEvent
from reproduce.inventory import services as stock
from reproduce.inventory.models import EventType, LotLink, StockEntry, TraceEvent
from reproduce.inventory.services import InventoryError, Output
from reproduce.orders.models import OrderState, WorkOrder, WorkOrderState
from reproduce.production import services
from reproduce.production.models import Consumption, Run, RunEvent, RunState
from reproduce.production.services import ProductionError

pytestmark = pytest.mark.django_db


def _code(call):
    with pytest.raises(ValidationError) as err:
        call()
    return err.value.code


def test_start_pause_resume_finish_moves_the_work_order_and_counts_time(shop):
    actor, wo = shop.operator, shop.wo
    run = services.start_work(actor=actor, work_order=wo)
    assert (run.state, wo.state) == (RunState.RUNNING, WorkOrderState.IN_PROGRESS)
    Run.objects.unscoped("test").filter(pk=run.pk).update(
        running_since=timezone.now() - timedelta(minutes=30)
    )
    run = services.pause_work(actor=actor, work_order=wo, reason="break")
    assert run.state == RunState.PAUSED and 1799 <= run.worked_seconds <= 1805
    assert run.running_since is None
    run = services.resume_work(actor=actor, work_order=wo)
    assert run.state == RunState.RUNNING
    services.add_time(actor=actor, work_order=wo, minutes=15)
    services.record_output(actor=actor, work_order=wo, good=2)
    lots = services.finish_work(actor=actor, work_order=wo, location=shop.floor)
    wo.refresh_from_db()
    run.refresh_from_db()
    assert wo.state == WorkOrderState.DONE and run.state == RunState.FINISHED
    assert run.extra_minutes == 15 and run.finished_at is not None
    assert [e.kind for e in RunEvent.objects.unscoped("test").filter(run=run)] == [
        "start",
        "pause",
        "resume",
        "finish",
    ]
    assert len(lots) == 1 and stock.on_hand(lots[0]) == Decimal(2)
    actions = set(AuditEvent.objects.filter(object_id=str(wo.pk)).values_list("action", flat=True))
    assert {"work.started", "work.paused", "work.finished", "work_order.done"} <= actions


def test_every_change_bumps_the_run_version(shop):
    actor, wo = shop.operator, shop.wo
    versions = [services.start_work(actor=actor, work_order=wo).version]
    services.record_output(actor=actor, work_order=wo, good=1)
    services.consume_lot(actor=actor, work_order=wo, lot=shop.lot, location=shop.store, quantity=1)
    versions.append(Run.objects.unscoped("test").get(work_order=wo).version)
    assert versions[1] == versions[0] + 2


def test_finish_before_start_is_refused(shop):
    assert (
        _code(
            lambda: services.finish_work(
                actor=shop.operator, work_order=shop.wo, location=shop.floor
            )
        )
        == "not_started"
    )
    assert shop.wo.state == WorkOrderState.ACCEPTED


def test_starting_twice_and_after_finishing_is_refused(shop):
    actor, wo = shop.operator, shop.wo
    services.start_work(actor=actor, work_order=wo)
    assert _code(lambda: services.start_work(actor=actor, work_order=wo)) == "already_running"
    assert _code(lambda: services.resume_work(actor=actor, work_order=wo)) == "already_running"
    services.finish_work(actor=actor, work_order=wo, location=shop.floor)
    assert _code(lambda: services.start_work(actor=actor, work_order=wo)) == "already_finished"
    assert (
        _code(lambda: services.finish_work(actor=actor, work_order=wo, location=shop.floor))
        == "already_finished"
    )
    assert _code(lambda: services.record_output(actor=actor, work_order=wo, good=1)) == (
        "already_finished"
    )


def test_start_of_a_paused_work_order_resumes_it(shop):
    actor, wo = shop.operator, shop.wo
    services.start_work(actor=actor, work_order=wo)
    services.pause_work(actor=actor, work_order=wo, reason="material")
    run = services.start_work(actor=actor, work_order=wo)
    assert run.state == RunState.RUNNING
    assert _code(lambda: services.pause_work(actor=actor, work_order=wo, reason="nonsense")) == (
        "reason_required"
    )
    assert _code(lambda: services.pause_work(actor=actor, work_order=wo, reason="other")) == (
        "reason_required"
    )


def test_pause_needs_a_running_work_order(shop):
    actor, wo = shop.operator, shop.wo
    assert _code(lambda: services.pause_work(actor=actor, work_order=wo, reason="break")) == (
        "not_started"
    )
    services.start_work(actor=actor, work_order=wo)
    services.pause_work(actor=actor, work_order=wo, reason="break")
    assert _code(lambda: services.pause_work(actor=actor, work_order=wo, reason="break")) == (
        "not_running"
    )


def test_a_work_order_not_accepted_cannot_be_started(shop):
    other = next(w for w in shop.others if w.site_id is None)
    assert _code(lambda: services.start_work(actor=shop.operator, work_order=other)) == (
        "not_assigned"
    )


def test_only_operators_of_the_site_act(shop):
    world = shop.world
    for user in (world.y.operator, world.coordinator, world.buyer):
        with pytest.raises(PermissionDenied):
            services.start_work(actor=world.actor(user), work_order=shop.wo)
    assert not Run.objects.unscoped("test").exists()
    services.start_work(actor=world.actor(world.x.manager), work_order=shop.wo)


def test_scrap_needs_a_reason_and_quantities_cannot_be_negative(shop):
    actor, wo = shop.operator, shop.wo
    services.start_work(actor=actor, work_order=wo)
    assert _code(lambda: services.record_output(actor=actor, work_order=wo, good=1, scrap=1)) == (
        "reason_required"
    )
    assert _code(lambda: services.record_output(actor=actor, work_order=wo, good=-1)) == (
        "invalid_quantity"
    )
    assert _code(lambda: services.record_output(actor=actor, work_order=wo, good=0)) == (
        "invalid_quantity"
    )
    assert _code(lambda: services.record_output(actor=actor, work_order=wo, good="x")) == (
        "invalid_quantity"
    )
    services.record_output(actor=actor, work_order=wo, good=3, scrap=1, scrap_reason="setup")
    services.record_output(actor=actor, work_order=wo, good="1.5")
    run = Run.objects.unscoped("test").get(work_order=wo)
    assert (run.good_quantity, run.scrap_quantity) == (Decimal("4.5"), Decimal(1))


def test_consuming_posts_the_ledger(shop):
    actor, wo = shop.operator, shop.wo
    services.start_work(actor=actor, work_order=wo)
    used = services.consume_lot(
        actor=actor, work_order=wo, lot=shop.lot, location=shop.store, quantity=4, scanned=True
    )
    assert used.entry.quantity == Decimal(-4) and used.entry.work_order_id == wo.pk
    assert used.scanned and used.unit == "C62"
    assert stock.on_hand(shop.lot) == Decimal(6)
    # grams of a lot counted in kilograms: converted
    services.consume_lot(
        actor=actor,
        work_order=wo,
        lot=shop.fibre_lot,
        location=shop.store,
        quantity=500,
        unit="GRM",
    )
    assert stock.on_hand(shop.fibre_lot) == Decimal("4.5")


def test_bad_consumptions_are_refused_and_write_nothing(shop):
    actor, wo = shop.operator, shop.wo
    services.start_work(actor=actor, work_order=wo)
    before = StockEntry.objects.unscoped("test").count()

    def consume(**kw):
        args = {"actor": actor, "work_order": wo, "lot": shop.lot, "location": shop.store}
        return lambda: services.consume_lot(**{**args, **kw})

    assert _code(consume(quantity=11)) == "insufficient_stock"
    assert _code(consume(quantity=-1)) == "invalid_quantity"
    assert _code(consume(quantity=0)) == "invalid_quantity"
    assert _code(consume(quantity=1, unit="KGM")) == "unit_mismatch"
    assert _code(consume(quantity=1, location=shop.floor)) == "insufficient_stock"
    assert _code(consume(quantity=1, lot=shop.foreign_lot)) == "not_your_lot"
    y_location = stock.Location.objects.unscoped("test").get(code="B1")
    assert _code(consume(quantity=1, location=y_location)) == "wrong_site"
    assert StockEntry.objects.unscoped("test").count() == before
    assert not Consumption.objects.unscoped("test").exists()


def test_consuming_before_start_is_refused(shop):
    assert (
        _code(
            lambda: services.consume_lot(
                actor=shop.operator,
                work_order=shop.wo,
                lot=shop.lot,
                location=shop.store,
                quantity=1,
            )
        )
        == "not_started"
    )


def test_finishing_produces_lots_from_the_consumed_ones(shop):
    actor, wo = shop.operator, shop.wo
    services.start_work(actor=actor, work_order=wo)
    for quantity in (2, 3):
        services.consume_lot(
            actor=actor, work_order=wo, lot=shop.lot, location=shop.store, quantity=quantity
        )
    services.consume_lot(
        actor=actor,
        work_order=wo,
        lot=shop.fibre_lot,
        location=shop.store,
        quantity=250,
        unit="GRM",
    )
    services.record_output(actor=actor, work_order=wo, good=2, scrap=1, scrap_reason="machine")
    item = services.default_output_item(wo)
    assert item.kind == "part" and "Cut the plywood" in item.name
    assert services.default_output_item(wo) == item  # created once
    [lot] = services.finish_work(
        actor=actor,
        work_order=wo,
        location=shop.floor,
        outputs=[Output(item=item, quantity=Decimal(2), code="CUT-0001")],
    )
    assert lot.code == "CUT-0001" and lot.work_order_id == wo.pk
    links = {
        (link.parent.code, link.quantity)
        for link in LotLink.objects.unscoped("test").filter(child=lot).select_related("parent")
    }
    assert links == {("PLY-001", Decimal(5)), ("FIB-001", Decimal("0.25"))}
    event = TraceEvent.objects.unscoped("test").get(work_order=wo)
    assert event.type == EventType.TRANSFORMATION


def test_a_refused_output_lot_rolls_the_finish_back(shop):
    actor, wo = shop.operator, shop.wo
    services.start_work(actor=actor, work_order=wo)
    item = services.default_output_item(wo)
    with pytest.raises(InventoryError):
        services.finish_work(
            actor=actor,
            work_order=wo,
            location=shop.floor,
            outputs=[Output(item=item, quantity=Decimal(1), code="PLY-001")],  # taken
        )
    wo.refresh_from_db()
    assert wo.state == WorkOrderState.IN_PROGRESS
    assert Run.objects.unscoped("test").get(work_order=wo).state == RunState.RUNNING


def test_finishing_the_last_work_order_completes_the_order(shop):
    world = shop.world
    coordinator = world.actor(world.coordinator)
    from reproduce.orders import services as orders

    for other in shop.others:
        orders.assign_work_order(
            actor=coordinator, work_order=other, site=world.x.site, reason="test"
        )
    for wo in [shop.wo, *shop.others]:
        wo.refresh_from_db()
        services.start_work(actor=shop.operator, work_order=wo)
        services.finish_work(actor=shop.operator, work_order=wo, location=shop.floor)
    shop.order.refresh_from_db()
    assert shop.order.state == OrderState.COMPLETED
    assert WorkOrder.objects.unscoped("test").filter(order=shop.order).count() == 4


def test_the_last_operation_makes_the_design_item(shop):
    world = shop.world
    from reproduce.orders import services as orders

    pack = next(w for w in shop.others if w.name == "Pack")
    orders.assign_work_order(
        actor=world.actor(world.coordinator), work_order=pack, site=world.x.site, reason="t"
    )
    pack.refresh_from_db()
    item = services.default_output_item(pack)
    assert item.kind == "design" and item.design_id == world.stool.design_id
    assert item.organization_id == world.x.org.pk


def test_add_time_and_photos(shop, settings):
    actor, wo = shop.operator, shop.wo
    assert _code(lambda: services.add_time(actor=actor, work_order=wo, minutes=5)) == (
        "not_started"
    )
    services.start_work(actor=actor, work_order=wo)
    assert _code(lambda: services.add_time(actor=actor, work_order=wo, minutes=0)) == (
        "invalid_minutes"
    )
    assert _code(lambda: services.add_time(actor=actor, work_order=wo, minutes=5000)) == (
        "invalid_minutes"
    )
    from conftest import _png_bytes

    upload = BytesIO(_png_bytes((200, 10, 10)))
    upload.name = "cut.png"
    photo = services.add_photo(actor=actor, work_order=wo, upload=upload, caption="First cut")
    assert photo.blob.kind == "png" and photo.caption == "First cut"
    text = BytesIO(b"hello, not an image")
    text.name = "notes.txt"
    with pytest.raises(ValidationError):
        services.add_photo(actor=actor, work_order=wo, upload=text)


def test_errors_are_production_errors_with_codes(shop):
    with pytest.raises(ProductionError) as err:
        services.resume_work(actor=shop.operator, work_order=shop.wo)
    assert err.value.code == "not_started"
