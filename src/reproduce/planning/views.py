"""Pages of the network plan, site plans, calendar feeds and machine bookings.

The plan is read, never computed, here: "Re-plan now" queues a background task and the page
polls its progress. Slots are filtered by who may see them (``PlannedSlot.visible_to``): a
site's page shows its own accepted work to its members, everything to coordinators, and an
empty plan to anyone else.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, has_perm, require
from reproduce.designs.edit_views import run_once, show_refusal
from reproduce.network.models import Machine, Site
from reproduce.planning import bookings as booking_services
from reproduce.planning import ical, selectors, services
from reproduce.planning.calendars import opening_spans
from reproduce.planning.forms import BookingForm, ReplanForm, SlotSearchForm
from reproduce.planning.models import Booking, BookingState, CalendarFeed, PlanRun, PlanState

BOOKING_ERRORS = {"invalid_period": "minutes", "too_long": "minutes"}
PLAN_DAYS, SITE_DAYS = 21, 14
LOOK_AHEAD_DAYS = 14  # the booking page opens on the first day with a free slot


def _start(request: HttpRequest) -> datetime:
    day = parse_date(request.GET.get("from", "") or "")
    if day is None:
        return selectors.window()[0]
    return selectors.window(timezone.make_aware(datetime.combine(day, time())))[0]


def _pending() -> PlanRun | None:
    """The run being computed (a run stuck longer than half an hour is not shown: a new one
    may be requested, see ``services.request_plan``)."""
    return (
        PlanRun.objects.filter(state__in=[PlanState.QUEUED, PlanState.RUNNING])
        .filter(created_at__gte=timezone.now() - timedelta(minutes=30))
        .first()
    )


def _run_context(run: PlanRun) -> dict[str, Any]:
    progress = run.progress or {}
    elapsed = progress.get("elapsed")
    if elapsed is None and run.started_at is not None:
        elapsed = round((timezone.now() - run.started_at).total_seconds())
    return {
        "run": run,
        "live": run.state in (PlanState.QUEUED, PlanState.RUNNING),
        "elapsed": elapsed,
        "objective": progress.get("objective"),
        "solutions": progress.get("solutions"),
    }


# ---------------------------------------------------------------- the network plan


@access("network", perm="plan.view")
@login_required
def plan(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, "plan.view")
    return _plan_page(request, actor, ReplanForm())


SOLVER_STATUS = {
    "optimal": gettext_lazy("the best possible plan"),
    "feasible": gettext_lazy("a good plan (the search stopped at its time limit)"),
    "greedy": gettext_lazy("a quick plan (the search found nothing better in time)"),
}


def _plan_page(request: HttpRequest, actor: Actor, form: ReplanForm) -> HttpResponse:
    current = services.latest_plan()
    start = _start(request)
    end = start + timedelta(days=PLAN_DAYS)
    sites = list(
        Site.objects.visible_to(actor)
        .filter(pk__in=selectors.slots(current, actor, start, end).values("site"))
        .order_by("name")
    )
    chosen = next((s for s in sites if s.slug == request.GET.get("site")), None)
    stats = current.stats if current is not None else {}
    pending = _pending()
    context = {
        "plan": current,
        "stats": stats,
        "solver_status": SOLVER_STATUS.get(stats.get("status", ""), stats.get("status", "")),
        "pending": _run_context(pending) if pending is not None else None,
        "sites": sites,
        "chosen": chosen,
        "gantt": selectors.gantt(current, actor, start, end, site=chosen),
        "load": selectors.load(current, actor, start, site=chosen),
        "late_work": selectors.late_work(actor),
        "late_orders": selectors.late_orders(actor),
        "form": form,
        "can_replan": has_perm(actor, "plan.manage"),
        "start": start.date(),
        "previous_from": (start - timedelta(days=14)).date(),
        "next_from": (start + timedelta(days=14)).date(),
    }
    return render(request, "planning/plan.html", context)


@access("network", perm="plan.manage", methods=("POST",))
@login_required
@require_POST
def replan(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, "plan.manage")
    form = ReplanForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, actor, form)
    try:
        services.request_plan(
            actor=actor,
            reason=form.cleaned_data["reason"],
            time_limit=form.cleaned_data["time_limit"],
        )
    except ValidationError as exc:
        show_refusal(form, exc, {"invalid": "time_limit"})
        return _plan_page(request, actor, form)
    messages.success(request, _("Planning has started: the page shows its progress."))
    return HttpResponseRedirect(reverse("planning:plan"))


@access("network", perm="plan.view", object="plan_id", model="planning.PlanRun")
@login_required
def run_status(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The progress of one run (polled by the plan page while it runs)."""
    try:
        run = PlanRun.objects.get(pk=plan_id)
    except (PlanRun.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    require(request_actor(request), "plan.view")
    return render(request, "planning/_run_status.html", _run_context(run))


# ---------------------------------------------------------------- one site


def _site(actor: Actor, slug: str) -> Site:
    return get_visible_or_404(Site, actor, slug=slug)


def _sees_plan(actor: Actor, site: Site) -> bool:
    return site.organization_id in actor.organization_ids or has_perm(actor, "plan.view")


@access("member", object="slug", model="network.Site")
@login_required
def site_plan(request: HttpRequest, slug: str) -> HttpResponse:
    """A site's own plan: its accepted work per machine, its bookings, its load, and the
    addresses of its calendars. Someone outside the site sees only that the page exists."""
    actor = request_actor(request)
    site = _site(actor, slug)
    sees = _sees_plan(actor, site)
    context: dict[str, Any] = {"site": site, "sees": sees}
    if sees:
        current = services.latest_plan()
        start = _start(request)
        end = start + timedelta(days=SITE_DAYS)
        machines = list(site.machines.order_by("name"))
        feeds: list[tuple[str, str]] = []
        if has_perm(actor, "site.edit", site.organization_id):
            feeds = [(n, _feed_url(request, f)) for n, f in ical.ensure_feeds(site, machines)]
        context |= {
            "plan": current,
            "gantt": selectors.gantt(
                current, actor, start, end, site=site, accepted_only=True, with_bookings=True
            ),
            "load": selectors.load(current, actor, start, weeks=2, site=site, accepted_only=True),
            "bookings": selectors.site_bookings(site, timezone.now(), end).order_by("starts_at")[
                :50
            ],
            "machines": machines,
            "feeds": feeds,
            "start": start.date(),
            "previous_from": (start - timedelta(days=7)).date(),
            "next_from": (start + timedelta(days=7)).date(),
        }
    return render(request, "planning/site.html", context)


def _feed_url(request: HttpRequest, feed: CalendarFeed) -> str:
    return request.build_absolute_uri(reverse("planning:feed", args=[feed.token]))


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@access("member", object="slug", model="network.Site")
@login_required
def site_ics(request: HttpRequest, slug: str) -> HttpResponse:
    actor = request_actor(request)
    site = _site(actor, slug)
    return _ics(ical.calendar(site, full=_sees_plan(actor, site)), site.slug)


@access("member", object="machine_id", model="network.Machine")
@login_required
def machine_ics(request: HttpRequest, machine_id: int) -> HttpResponse:
    actor = request_actor(request)
    machine = get_visible_or_404(Machine, actor, pk=machine_id)
    full = _sees_plan(actor, machine.site)
    return _ics(ical.calendar(machine.site, machine, full=full), f"machine-{machine.pk}")


@access("public", object="token", model="planning.CalendarFeed")
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret address a calendar app subscribes to (no session)."""
    found = (
        CalendarFeed.objects.unscoped("the token is the key")
        .filter(token=token)
        .select_related("site", "machine")
        .first()
    )
    if found is None:
        raise Http404
    name = f"machine-{found.machine_id}" if found.machine_id else found.site.slug
    return _ics(ical.calendar(found.site, found.machine), name)


# ---------------------------------------------------------------- bookings


@access("authenticated")
@login_required
def bookings(request: HttpRequest) -> HttpResponse:
    """My bookings (coming ones first, then the last month's), and for the managers of a
    workshop the coming bookings of its machines."""
    actor = request_actor(request)
    now = timezone.now()
    visible = Booking.objects.visible_to(actor).select_related("machine__site", "user")
    mine = visible.filter(user=request.user)
    upcoming = list(mine.filter(ends_at__gte=now).order_by("starts_at")[:100])
    past = list(
        mine.filter(ends_at__lt=now, ends_at__gte=now - timedelta(days=30)).order_by("-starts_at")[
            :50
        ]
    )
    managed = [o for o in actor.organization_ids if has_perm(actor, "booking.manage", o)]
    hosted = (
        list(
            visible.filter(machine__site__organization__in=managed)
            .exclude(user=request.user)
            .filter(ends_at__gte=now, state=BookingState.CONFIRMED)
            .order_by("starts_at")[:100]
        )
        if managed
        else []
    )
    return render(
        request,
        "planning/bookings.html",
        {"upcoming": upcoming, "past": past, "hosted": hosted, "managed": managed, "now": now},
    )


def _slot_form(
    request: HttpRequest, machine: Machine, tried: BookingForm | None = None
) -> tuple[SlotSearchForm, list[Any]]:
    """The day and duration searched (or those of a refused booking), and the free slots
    then. Without a day chosen, the first day with a free slot in the coming two weeks."""
    data: Any = request.GET if "day" in request.GET else None
    cleaned = getattr(tried, "cleaned_data", None) or {}
    if cleaned.get("starts_at"):
        moment = timezone.localtime(cleaned["starts_at"])
        data = {"day": moment.date().isoformat(), "minutes": cleaned.get("minutes", 60)}
    today = timezone.localdate()
    form = SlotSearchForm(data, initial={"day": today, "minutes": 60})
    day, minutes, chosen = today, 60, False
    if form.is_valid():
        day, minutes, chosen = form.cleaned_data["day"], form.cleaned_data["minutes"], True
    length = timedelta(minutes=minutes)
    days = [day]
    if not chosen:  # the days the site opens, in the coming two weeks
        first = timezone.make_aware(datetime.combine(day, time()))
        spans = opening_spans([machine.site_id], first, first + timedelta(days=LOOK_AHEAD_DAYS))
        days = sorted({timezone.localtime(a).date() for a, _b in spans[machine.site_id]}) or [day]
    found: list[tuple[datetime, datetime]] = []
    for candidate in days:
        moment = timezone.make_aware(datetime.combine(candidate, time()))
        found = booking_services.free_slots(machine, moment, length)
        if found:
            day = candidate
            break
    if not chosen:
        form = SlotSearchForm(initial={"day": day, "minutes": minutes})
    form.shown_day = day  # type: ignore[attr-defined]
    form.shown_minutes = minutes  # type: ignore[attr-defined]
    return form, found


@access(
    "member",
    perm="booking.create",
    object="machine_id",
    model="network.Machine",
    on_visible=True,
)
@login_required
def book(request: HttpRequest, machine_id: int) -> HttpResponse:
    actor = request_actor(request)
    machine = get_visible_or_404(Machine, actor, pk=machine_id)
    require(actor, "booking.create", actor.active_organization_id)
    form = BookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def action() -> str:
            start, end = form.period
            booking_services.book_machine(
                actor=actor,
                machine=machine,
                starts_at=start,  # type: ignore[arg-type]
                ends_at=end,  # type: ignore[arg-type]
                purpose=form.cleaned_data["purpose"],
            )
            messages.success(request, _("Booked. It is in your bookings."))
            return reverse("planning:bookings")

        try:
            return run_once(request, form.cleaned_data.get("form_token", ""), action)
        except ValidationError as exc:
            show_refusal(form, exc, BOOKING_ERRORS)
    search, slots = _slot_form(request, machine, form if request.method == "POST" else None)
    return render(
        request,
        "planning/book.html",
        {"machine": machine, "form": form, "search": search, "slots": slots},
        status=200,
    )


@access(
    "member",
    perm="booking.create",
    object="booking_id",
    model="planning.Booking",
    methods=("POST",),
)
@login_required
@require_POST
def cancel_booking(request: HttpRequest, booking_id: int) -> HttpResponse:
    actor = request_actor(request)
    booking = get_visible_or_404(Booking, actor, pk=booking_id)
    if not (
        has_perm(actor, "booking.create", actor.active_organization_id)
        or has_perm(actor, "booking.manage", booking.machine.site.organization_id)
    ):
        raise PermissionDenied(_("You do not have the permission to do this."))
    try:
        booking_services.cancel_booking(actor=actor, booking=booking)
        messages.success(request, _("The booking is cancelled."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return HttpResponseRedirect(reverse("planning:bookings"))
