"""Pages of the events (Maker Faire, Meet the Maker).

Public: the list of published events, an event's page with its registration form (no account
needed) and the cancel page reached from the confirmation e-mail (the secret token in the
address is the key). Officers: write, publish, see the registrations, mark who came, export
them as CSV (``programme.view`` to read, ``programme.manage`` to change).
"""

from __future__ import annotations

from typing import Any

from defusedcsv import csv as defusedcsv
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, get_visible_or_404, has_perm, require
from reproduce.designs.edit_views import run_once, show_refusal
from reproduce.programme.forms_events import AttendanceMarkForm, EventForm, RegistrationForm
from reproduce.programme.models import Cohort, Event, Registration
from reproduce.programme.services import events as services

VIEW, MANAGE = "programme.view", "programme.manage"
EVENT_ERRORS = {
    "title_required": "title_fr",
    "invalid_kind": "kind",
    "place_required": "place",
    "invalid_period": "ends_at",
    "invalid_capacity": "capacity",
}
REGISTRATION_ERRORS = {"invalid_email": "email", "name_required": "name"}


def _officer(request: HttpRequest, perm: str = VIEW) -> Actor:
    actor = request_actor(request)
    require(actor, perm)
    return actor


# ---------------------------------------------------------------- public


@access("public")
def event_list(request: HttpRequest) -> HttpResponse:
    published = Event.objects.visible_to(request_actor(request)).filter(is_published=True)
    now = timezone.now()
    return render(
        request,
        "programme/events/list.html",
        {
            "upcoming": published.filter(ends_at__gte=now),
            "past": published.filter(ends_at__lt=now).order_by("-starts_at")[:6],
        },
    )


@access("public", object="slug", model="programme.Event", methods=("GET", "POST"))
def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The event and its registration form (officers also preview a draft here)."""
    event = get_visible_or_404(Event, request_actor(request), slug=slug)
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:  # a robot: say nothing, register nothing
            return redirect("programme:event_detail", slug=event.slug)
        try:
            _registration, created = services.register_or_find(
                event=event,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                organization_name=form.cleaned_data["organization_name"],
                language=(get_language() or "fr")[:2],
            )
        except ValidationError as exc:
            show_refusal(form, exc, REGISTRATION_ERRORS)
        else:
            if created:
                messages.success(
                    request,
                    _(
                        "You are registered. A confirmation e-mail is on its way, with a "
                        "link to cancel."
                    ),
                )
            else:
                messages.info(
                    request,
                    _(
                        "This e-mail address is already registered for this event: nothing "
                        "changed. The confirmation e-mail has the link to cancel."
                    ),
                )
            return redirect("programme:event_detail", slug=event.slug)
    return render(
        request,
        "programme/events/detail.html",
        {
            "event": event,
            # Sanitised when saved (services.events: clean_html), so it is shown as HTML.
            "description": event.text("description"),
            "form": form,
            "places_left": services.places_left(event),
            "is_open": event.is_published and event.ends_at > timezone.now(),
        },
    )


@access("public", object="token", model="programme.Registration", methods=("GET", "POST"))
def event_cancel(request: HttpRequest, token: Any) -> HttpResponse:
    registration = services.find_by_token(token)
    if registration is None:
        raise Http404
    if request.method == "POST":
        services.cancel_registration(token=token)
        messages.success(request, _("Your registration is cancelled."))
        return redirect("programme:event_cancel", token=token)
    return render(
        request,
        "programme/events/cancel.html",
        {"registration": registration, "event": registration.event},
    )


# ---------------------------------------------------------------- officers


def _cohorts(actor: Actor) -> Any:
    return Cohort.objects.visible_to(actor)


@access("network", perm=VIEW)
@login_required
def event_manage(request: HttpRequest) -> HttpResponse:
    actor = _officer(request)
    events = Event.objects.visible_to(actor).order_by("-starts_at")
    return render(
        request,
        "programme/events/manage.html",
        {"events": events, "can_manage": has_perm(actor, MANAGE)},
    )


@access("network", perm=MANAGE)
@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    actor = _officer(request, MANAGE)
    form = EventForm(request.POST or None, cohorts=_cohorts(actor), creating=True)
    if request.method == "POST" and form.is_valid():

        def action() -> str:
            event = services.create_event(actor=actor, values=form.values())
            messages.success(request, _("The event is saved as a draft: publish it when ready."))
            return reverse("programme:event_edit", kwargs={"slug": event.slug})

        try:
            return run_once(request, form.cleaned_data.get("form_token", ""), action)
        except ValidationError as exc:
            show_refusal(form, exc, _error_fields(exc))
    return render(request, "programme/events/form.html", {"form": form, "event": None})


def _error_fields(exc: ValidationError) -> dict[str, str]:
    """The forbidden-wording refusal names its field itself."""
    field = getattr(exc, "field", None)
    code = str(getattr(exc, "code", "") or "")
    return {**EVENT_ERRORS, code: field} if field else EVENT_ERRORS


def _initial(event: Event) -> dict[str, Any]:
    names = ["kind", "place", "capacity", "cohort"]
    names += [f"{f}_{c}" for f in ("title", "description") for c in ("fr", "nl", "en")]
    data = {n: getattr(event, n) for n in names}
    data["starts_at"] = timezone.localtime(event.starts_at)
    data["ends_at"] = timezone.localtime(event.ends_at)
    return data


@access("network", perm=MANAGE, object="slug", model="programme.Event")
@login_required
def event_edit(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _officer(request, MANAGE)
    event = get_visible_or_404(Event, actor, slug=slug)
    form = EventForm(request.POST or None, initial=_initial(event), cohorts=_cohorts(actor))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_event(actor=actor, event=event, values=form.values())
        except ValidationError as exc:
            show_refusal(form, exc, _error_fields(exc))
        else:
            messages.success(request, _("The event is saved."))
            return redirect("programme:event_edit", slug=event.slug)
    return render(request, "programme/events/form.html", {"form": form, "event": event})


@access("network", perm=MANAGE, object="slug", model="programme.Event", methods=("POST",))
@login_required
@require_POST
def event_publish(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _officer(request, MANAGE)
    event = get_visible_or_404(Event, actor, slug=slug)
    publish = request.POST.get("publish", "1") != "0"
    services.publish_event(actor=actor, event=event, published=publish)
    messages.success(
        request,
        _("The event is public.") if publish else _("The event is no longer public."),
    )
    return redirect("programme:event_edit", slug=event.slug)


def _registrations(event: Event) -> list[Registration]:
    return list(event.registrations.order_by("cancelled_at", "registered_at"))


@access("network", perm=MANAGE, object="slug", model="programme.Event")
@login_required
def event_registrations(request: HttpRequest, slug: str) -> HttpResponse:
    """Who registered; officers mark who came (one page, phone-friendly)."""
    actor = _officer(request, MANAGE)
    event = get_visible_or_404(Event, actor, slug=slug)
    registrations = _registrations(event)
    active = [r for r in registrations if r.cancelled_at is None]
    form = AttendanceMarkForm(request.POST or None, registrations=active)
    if request.method == "POST" and form.is_valid():
        services.mark_attendance(actor=actor, event=event, attended=form.attended())
        messages.success(request, _("Attendance saved."))
        return redirect("programme:event_registrations", slug=event.slug)
    return render(
        request,
        "programme/events/registrations.html",
        {
            "event": event,
            "form": form,
            "cancelled": [r for r in registrations if r.cancelled_at is not None],
            "came": sum(1 for r in active if r.attended),
        },
    )


@access("network", perm=VIEW, object="slug", model="programme.Event")
@login_required
def event_export(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _officer(request)
    event = get_visible_or_404(Event, actor, slug=slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="registrations-{event.slug}.csv"'
    response.write("\ufeff")
    writer = defusedcsv.writer(response, lineterminator="\r\n")
    writer.writerow(
        [_("Name"), _("E-mail"), _("Organisation"), _("Language"), _("Registered"),
         _("Cancelled"), _("Attended")]
    )  # fmt: skip
    attended = {True: _("yes"), False: _("no"), None: ""}
    for r in _registrations(event):
        writer.writerow(
            [
                r.name,
                r.email,
                r.organization_name,
                r.language,
                timezone.localtime(r.registered_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(r.cancelled_at).strftime("%Y-%m-%d %H:%M")
                if r.cancelled_at
                else "",
                attended[r.attended],
            ]
        )
    return response


urlpatterns = [
    path("events/", event_list, name="event_list"),
    path("events/cancel/<uuid:token>/", event_cancel, name="event_cancel"),
    path("events/<slug:slug>/", event_detail, name="event_detail"),
    path("manage/events/", event_manage, name="event_manage"),
    path("manage/events/new/", event_create, name="event_create"),
    path("manage/events/<slug:slug>/", event_edit, name="event_edit"),
    path("manage/events/<slug:slug>/publish/", event_publish, name="event_publish"),
    path(
        "manage/events/<slug:slug>/registrations/",
        event_registrations,
        name="event_registrations",
    ),
    path("manage/events/<slug:slug>/registrations.csv", event_export, name="event_export"),
]
