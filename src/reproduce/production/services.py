"""Writes of the shop floor: start, pause, resume and finish a work order, declare what was
made and scrapped, the lots consumed, photos and time.

Every function is keyword-only, runs in one transaction, checks ``work.execute`` in the
organisation of the work order's site, is audited and refuses with a :class:`ProductionError`
carrying a stable ``code``. Stock changes go through :mod:`reproduce.inventory.services`
(their ``InventoryError`` — ``insufficient_stock``, ``unit_mismatch``, ``invalid_quantity`` —
passes through unchanged). The work order's own state moves through the orders app's state
machine (:func:`reproduce.orders.services.start_work_order` and ``finish_work_order``).

The :class:`Run` row changes only through conditional UPDATEs on the state read (plus
``version`` + 1): two phones pressing "pause" at once leave one pause, and the progress poll
sees every change as a new version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.designs.models import Item, ItemKind
from reproduce.inventory import services as stock
from reproduce.inventory.models import Location, Lot
from reproduce.inventory.services import Output
from reproduce.orders import services as orders
from reproduce.orders.models import WorkOrder, WorkOrderState
from reproduce.production.models import (
    Consumption,
    OutputRecord,
    PauseReason,
    Run,
    RunEvent,
    RunEventKind,
    RunState,
    ScrapReason,
    WorkPhoto,
)

ZERO = Decimal(0)
MAX_MINUTES = 24 * 60  # time added by hand, at once
PHOTO_KINDS = {"png", "jpeg", "webp", "gif"}
OPEN_RUN = (RunState.RUNNING, RunState.PAUSED)


class ProductionError(ValidationError):
    """A refused shop-floor change, with a stable ``code`` the API maps to a status."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


# ---------------------------------------------------------------- helpers


def _require_operator(actor: Actor, work_order: WorkOrder) -> None:
    """Only the operators (and up) of the site that took the work act on it."""
    if work_order.site_id is None:
        raise ProductionError(
            _("This work order is not assigned to a site yet."), code="not_assigned"
        )
    require(actor, "work.execute", _org(work_order))


def _org(work_order: WorkOrder) -> int:
    return work_order.site.organization_id  # type: ignore[union-attr]


def _fresh(work_order: WorkOrder) -> WorkOrder:
    """Re-read the work order's state (another phone may have moved it)."""
    work_order.refresh_from_db(fields=["state", "site"])
    return work_order


def run_of(work_order: WorkOrder) -> Run | None:
    return (
        Run.objects.unscoped("the run of a work order the caller holds")
        .filter(work_order_id=work_order.pk)
        .first()
    )


def _open_run(work_order: WorkOrder) -> Run:
    """The run of a started, unfinished work order (else ``not_started``/``already_finished``)."""
    run = run_of(work_order)
    if work_order.state == WorkOrderState.DONE or (run and run.state == RunState.FINISHED):
        raise ProductionError(_("This work order is already finished."), code="already_finished")
    if run is None or work_order.state != WorkOrderState.IN_PROGRESS:
        raise ProductionError(_("Start the work order first."), code="not_started")
    return run


def _update_run(run: Run, states: Sequence[str], **changes: Any) -> Run:
    """Change the run only if it is still in one of ``states`` and at the version read."""
    updated = (
        Run.objects.unscoped("conditional change of one run")
        .filter(pk=run.pk, state__in=list(states), version=run.version)
        .update(version=F("version") + 1, updated_at=timezone.now(), **changes)
    )
    if updated != 1:
        raise ProductionError(
            _("Someone else changed this work order at the same time. Reload the page."),
            code="concurrent_change",
        )
    run.refresh_from_db()
    return run


def _touch(run: Run | None) -> None:
    """A change the progress poll must see (a photo, a consumption)."""
    if run is not None:
        Run.objects.unscoped("version of one run").filter(pk=run.pk).update(
            version=F("version") + 1, updated_at=timezone.now()
        )


def _elapsed(run: Run, now: datetime) -> int:
    if run.running_since is None:
        return 0
    return max(0, int((now - run.running_since).total_seconds()))


def _event(
    actor: Actor, run: Run, kind: str, at: datetime, reason: str = "", note: str = ""
) -> None:
    RunEvent.objects.create(
        run=run, kind=kind, reason=reason, note=note[:300], at=at, by=actor.user
    )


def _record(actor: Actor, work_order: WorkOrder, action: str, **changes: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=work_order,
        organization_id=_org(work_order),
        changes={"work_order": work_order.reference, **changes},
    )


def _decimal(value: Any, *, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal(-1)
    if not number.is_finite() or number < ZERO:
        raise ProductionError(
            _("The quantity %(field)s cannot be negative.") % {"field": field},
            code="invalid_quantity",
        )
    return number.quantize(Decimal("0.001"))


# ---------------------------------------------------------------- start, pause, resume


@transaction.atomic
def start_work(*, actor: Actor, work_order: WorkOrder) -> Run:
    """Start an accepted work order (accepted → in progress); a paused one resumes."""
    _require_operator(actor, work_order)
    _fresh(work_order)
    run = run_of(work_order)
    if work_order.state == WorkOrderState.DONE or (run and run.state == RunState.FINISHED):
        raise ProductionError(_("This work order is already finished."), code="already_finished")
    if run is not None and run.state == RunState.RUNNING:
        raise ProductionError(_("This work order is already running."), code="already_running")
    if run is not None and work_order.state == WorkOrderState.IN_PROGRESS:
        return resume_work(actor=actor, work_order=work_order)
    if work_order.state != WorkOrderState.ACCEPTED:
        raise ProductionError(
            _("This work order is %(state)s: only accepted work can be started.")
            % {"state": work_order.get_state_display()},
            code="not_assigned",
        )
    orders.start_work_order(actor=actor, work_order=work_order)
    now = timezone.now()
    try:
        with transaction.atomic():
            run = Run.objects.create(
                work_order=work_order,
                state=RunState.RUNNING,
                started_at=now,
                running_since=now,
                version=1,
            )
    except IntegrityError as exc:  # a run left by a start that moved the order back
        raise ProductionError(
            _("This work order is already running."), code="already_running"
        ) from exc
    _event(actor, run, RunEventKind.START, now)
    _record(actor, work_order, "work.started")
    return run


@transaction.atomic
def pause_work(*, actor: Actor, work_order: WorkOrder, reason: str, note: str = "") -> Run:
    """Stop the clock, saying why (break, waiting for material, machine problem…)."""
    _require_operator(actor, work_order)
    run = _open_run(_fresh(work_order))
    if run.state != RunState.RUNNING:
        raise ProductionError(_("This work order is not running."), code="not_running")
    if reason not in PauseReason.values:
        raise ProductionError(_("Choose why the work stops."), code="reason_required")
    if reason == PauseReason.OTHER and not note.strip():
        raise ProductionError(_("Say why the work stops."), code="reason_required")
    now = timezone.now()
    run = _update_run(
        run,
        [RunState.RUNNING],
        state=RunState.PAUSED,
        running_since=None,
        worked_seconds=F("worked_seconds") + _elapsed(run, now),
    )
    _event(actor, run, RunEventKind.PAUSE, now, reason=reason, note=note.strip())
    _record(actor, work_order, "work.paused", reason=reason)
    return run


@transaction.atomic
def resume_work(*, actor: Actor, work_order: WorkOrder) -> Run:
    """Start the clock again after a pause."""
    _require_operator(actor, work_order)
    run = _open_run(_fresh(work_order))
    if run.state == RunState.RUNNING:
        raise ProductionError(_("This work order is already running."), code="already_running")
    now = timezone.now()
    run = _update_run(run, [RunState.PAUSED], state=RunState.RUNNING, running_since=now)
    _event(actor, run, RunEventKind.RESUME, now)
    _record(actor, work_order, "work.resumed")
    return run


# ---------------------------------------------------------------- declarations


@transaction.atomic
def record_output(
    *,
    actor: Actor,
    work_order: WorkOrder,
    good: Any,
    scrap: Any = 0,
    scrap_reason: str = "",
    note: str = "",
) -> OutputRecord:
    """Declare parts made: good ones and scrap (scrap needs a reason)."""
    _require_operator(actor, work_order)
    run = _open_run(_fresh(work_order))
    good_q = _decimal(good, field=_("good"))
    scrap_q = _decimal(scrap or 0, field=_("scrap"))
    if good_q == ZERO and scrap_q == ZERO:
        raise ProductionError(
            _("Enter how many good or scrapped parts were made."), code="invalid_quantity"
        )
    if scrap_q > ZERO and scrap_reason not in ScrapReason.values:
        raise ProductionError(_("Say why the parts are scrapped."), code="reason_required")
    record = OutputRecord.objects.create(
        work_order=work_order,
        good=good_q,
        scrap=scrap_q,
        scrap_reason=scrap_reason if scrap_q > ZERO else "",
        note=note.strip()[:300],
        recorded_by=actor.user,
    )
    _update_run(
        run,
        OPEN_RUN,
        good_quantity=F("good_quantity") + good_q,
        scrap_quantity=F("scrap_quantity") + scrap_q,
    )
    _record(
        actor,
        work_order,
        "work.output",
        good=str(good_q),
        scrap=str(scrap_q),
        scrap_reason=record.scrap_reason,
    )
    return record


def _check_location(work_order: WorkOrder, location: Location) -> None:
    if location.site_id != work_order.site_id:
        raise ProductionError(
            _("Choose a stock location of the site doing the work."), code="wrong_site"
        )


@transaction.atomic
def consume_lot(
    *,
    actor: Actor,
    work_order: WorkOrder,
    lot: Lot,
    location: Location,
    quantity: Any,
    unit: str = "",
    scanned: bool = False,
) -> Consumption:
    """Take ``quantity`` of ``lot`` out of ``location`` (a location of the work order's site)
    for this work order: a consumption entry on the stock ledger."""
    _require_operator(actor, work_order)
    run = _open_run(_fresh(work_order))
    _check_location(work_order, location)
    try:
        amount = Decimal(str(quantity))
    except (InvalidOperation, ValueError):
        amount = ZERO
    entry = stock.consume(
        actor=actor,
        lot=lot,
        location=location,
        quantity=amount,
        unit=unit,
        work_order=work_order,
        reason=_("Work order %(ref)s") % {"ref": work_order.reference},
    )
    consumption = Consumption.objects.create(
        work_order=work_order,
        lot=lot,
        location=location,
        quantity=amount,
        unit=unit or lot.unit,
        entry=entry,
        scanned=scanned,
        recorded_by=actor.user,
    )
    _touch(run)
    _record(
        actor,
        work_order,
        "work.consumed",
        lot=lot.code,
        quantity=str(amount),
        unit=consumption.unit,
        scanned=scanned,
    )
    return consumption


@transaction.atomic
def add_photo(
    *, actor: Actor, work_order: WorkOrder, upload: IO[bytes] | Any, caption: str = ""
) -> WorkPhoto:
    """A photo of the work (images only; stored through the files app)."""
    from reproduce.files.services import ingest

    _require_operator(actor, work_order)
    if _fresh(work_order).state not in (
        WorkOrderState.ACCEPTED,
        WorkOrderState.IN_PROGRESS,
        WorkOrderState.DONE,
    ):
        raise ProductionError(
            _("This work order is not assigned to your site."), code="not_assigned"
        )
    name = getattr(upload, "name", "") or "photo.jpg"
    blob = ingest(upload, name, allowed_kinds=PHOTO_KINDS)
    photo = WorkPhoto.objects.create(
        work_order=work_order, blob=blob, caption=caption.strip()[:200], taken_by=actor.user
    )
    _touch(run_of(work_order))
    _record(actor, work_order, "work.photo", photo=photo.pk)
    return photo


@transaction.atomic
def add_time(*, actor: Actor, work_order: WorkOrder, minutes: int) -> Run:
    """Add minutes worked off the clock (set-up done before starting, forgotten pause…)."""
    _require_operator(actor, work_order)
    _fresh(work_order)
    run = run_of(work_order)
    if run is None:
        raise ProductionError(_("Start the work order first."), code="not_started")
    try:
        value = int(minutes)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_MINUTES:
        raise ProductionError(
            _("Enter between 1 and %(max)s minutes.") % {"max": MAX_MINUTES},
            code="invalid_minutes",
        )
    run = _update_run(run, list(RunState.values), extra_minutes=F("extra_minutes") + value)
    _record(actor, work_order, "work.time_added", minutes=value)
    return run


# ---------------------------------------------------------------- finishing


def default_output_item(work_order: WorkOrder) -> Item:
    """What the work order makes: the design's item after the routing's last operation,
    else a part item "<design> · <operation>" of the site's organisation (created once)."""
    version = work_order.manufacturing_order.version
    design = version.design
    org_id = _org(work_order)
    items = Item.objects.owned_by(org_id)
    last = version.operations.order_by("-position", "-pk").values_list("pk", flat=True).first()
    if last == work_order.operation_id:
        found = items.filter(kind=ItemKind.DESIGN, design=design).order_by("pk").first()
        if found is not None:
            return found  # type: ignore[no-any-return]
        return Item.objects.create(  # type: ignore[no-any-return]
            organization_id=org_id, kind=ItemKind.DESIGN, name=design.name[:200], design=design
        )
    name = f"{design.name} · {work_order.operation.name}"[:200]
    found = items.filter(kind=ItemKind.PART, name=name).order_by("pk").first()
    if found is not None:
        return found  # type: ignore[no-any-return]
    return Item.objects.create(  # type: ignore[no-any-return]
        organization_id=org_id, kind=ItemKind.PART, name=name
    )


def consumed_inputs(work_order: WorkOrder) -> list[tuple[Lot, Decimal]]:
    """The lots this work order consumed, with the quantity taken (in each lot's unit)."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    lots: dict[int, Lot] = {}
    rows = (
        Consumption.objects.unscoped("consumptions of a work order the caller holds")
        .filter(work_order=work_order)
        .select_related("lot__item", "entry")
    )
    for row in rows:
        totals[row.lot_id] -= row.entry.quantity  # the ledger entry is negative, in lot unit
        lots[row.lot_id] = row.lot
    return [(lots[pk], total) for pk, total in totals.items() if total > ZERO]


@transaction.atomic
def finish_work(
    *,
    actor: Actor,
    work_order: WorkOrder,
    location: Location,
    outputs: Sequence[Output] | None = None,
    occurred_at: datetime | None = None,
) -> list[Lot]:
    """Finish the work order (in progress → done) and put what it made in stock.

    Without ``outputs``, one lot of :func:`default_output_item` with the good quantity
    declared (none when nothing good was made). The lots consumed are the inputs: the
    inventory records the genealogy and an EPCIS TransformationEvent. When it was the last
    work order of its order, the order is completed.
    """
    _require_operator(actor, work_order)
    run = _open_run(_fresh(work_order))
    _check_location(work_order, location)
    if outputs is None:
        good = run.good_quantity
        outputs = [Output(item=default_output_item(work_order), quantity=good)] if good else []
    orders.finish_work_order(actor=actor, work_order=work_order)
    now = timezone.now()
    run = _update_run(
        run,
        OPEN_RUN,
        state=RunState.FINISHED,
        running_since=None,
        finished_at=occurred_at or now,
        worked_seconds=F("worked_seconds") + _elapsed(run, now),
    )
    _event(actor, run, RunEventKind.FINISH, now)
    made: list[Lot] = []
    if outputs:
        made = stock.produce(
            actor=actor,
            site=work_order.site,
            location=location,
            outputs=outputs,
            inputs=consumed_inputs(work_order),
            work_order=work_order,
            occurred_at=occurred_at,
        )
    _record(actor, work_order, "work.finished", lots=[lot.code for lot in made])
    return made
