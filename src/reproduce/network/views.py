"""Public views of the network: the map, the capability search and the site pages."""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control

from reproduce.core.permissions import access, get_visible_or_404
from reproduce.core.sanitize import clean_html
from reproduce.network.forms import CapabilitySearchForm
from reproduce.network.models import Commune, OpeningHours, Site
from reproduce.network.selectors import CapabilityQuery, SiteMatch, find_capabilities
from reproduce.network.selectors import site_detail as site_detail_context
from reproduce.network.taxonomy import DATA_DIR

# NIS code of Molenbeek-Saint-Jean, the commune of the search example.
EXAMPLE_COMMUNE = "21012"

# Texts that map.js shows (it has no text of its own, so that every word is translated).
MAP_STRINGS = {
    "site_page": _("See the site page"),
    "machines": _("Matching machines:"),
    "cluster": _("%(count)s sites here: zoom in"),
    "zoom_in": _("Zoom in"),
    "zoom_out": _("Zoom out"),
    "close": _("Close"),
}


def _run_search(request: HttpRequest) -> tuple[CapabilitySearchForm, list[SiteMatch]]:
    form = CapabilitySearchForm(request.GET or None)
    if request.GET and form.is_valid():
        query = form.to_query()
    elif request.GET:
        return form, []
    else:
        query = CapabilityQuery()
    return form, find_capabilities(request.actor, query)  # type: ignore[attr-defined]


def _features(matches: list[SiteMatch]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(m.site.longitude), float(m.site.latitude)],
                },
                "properties": {
                    "name": m.site.name,
                    "organization": m.site.organization.name,
                    "commune": m.site.commune.name if m.site.commune else "",
                    "url": reverse("network:site_detail", args=[m.site.slug]),
                    "reasons": m.reasons,
                    "machines": [mc.name for mc in m.machines[:5]],
                },
            }
            for m in matches
        ],
    }


def _wants_fragment(request: HttpRequest) -> bool:
    # A history restore (back button after hx-push-url) needs the whole page, not the fragment.
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


def _render_page(
    request: HttpRequest, page: str, fragment: str, context: dict[str, Any]
) -> HttpResponse:
    response = render(request, fragment if _wants_fragment(request) else page, context)
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _communes() -> dict[str, dict[str, Any]]:
    """NIS code → name in the current language and label position, for the map (one query).

    Passed to templates uncalled: an htmx fragment, which does not draw the map, skips it.
    """
    return {
        c.nis_code: {"name": c.name, "lat": float(c.centroid_lat), "lon": float(c.centroid_lon)}
        for c in Commune.objects.all()
    }


def _example_query(today: date) -> str:
    """The search address of "laser-cut plywood 600 by 400 near Molenbeek next week"."""
    next_monday = today + timedelta(days=7 - today.weekday())
    params = {
        "process": "laser-cutting",
        "material": "plywood",
        "min_x_mm": 600,
        "min_y_mm": 400,
        "near_commune": EXAMPLE_COMMUNE,
        "radius_km": 3,
        "available_from": next_monday.isoformat(),
        "available_to": (next_monday + timedelta(days=4)).isoformat(),
    }
    return reverse("network:search") + "?" + urlencode(params)


@access("public")
def network_map(request: HttpRequest) -> HttpResponse:
    form, matches = _run_search(request)
    return _render_page(
        request,
        "network/map.html",
        "network/_map_results.html",
        {
            "form": form,
            "matches": matches,
            "features": _features(matches),
            "communes": _communes,
            "map_strings": MAP_STRINGS,
        },
    )


@access("public")
def sites_geojson(request: HttpRequest) -> JsonResponse:
    _form, matches = _run_search(request)
    return JsonResponse(_features(matches))


@lru_cache(maxsize=1)
def _communes_bytes() -> bytes:
    return (DATA_DIR / "geo" / "brussels_communes.geojson").read_bytes()


@access("public")
@cache_control(public=True, max_age=86400)
def communes_geojson(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_communes_bytes(), content_type="application/geo+json")


# Criteria a person can drop to widen a search that found nothing: label, GET keys removed.
WIDENINGS = [
    (_("Search again without the dates"), ("available_from", "available_to")),
    (_("Search again without the material"), ("material",)),
    (_("Search again without the size"), ("min_x_mm", "min_y_mm", "min_z_mm")),
    (_("Search again with any tolerance"), ("tolerance",)),
    (
        _("Search again in the whole region"),
        ("commune", "near_commune", "near_lat", "near_lon", "radius_km"),
    ),
    (_("Search again without the words"), ("q",)),
]


# Errors of the whole form shown next to the fieldset they concern (the others stay on top).
ERROR_PLACES = {
    "half_point": "where",
    "coordinates_outside_belgium": "where",
    "half_period": "when",
    "period_reversed": "when",
    "period_too_long": "when",
}


def _placed_errors(form: CapabilitySearchForm) -> dict[str, list[str]]:
    placed: dict[str, list[str]] = {"where": [], "when": [], "form": []}
    if form.is_bound:
        for error in form.non_field_errors().as_data():
            placed[ERROR_PLACES.get(error.code or "", "form")].extend(str(m) for m in error)
    return placed


def _widenings(request: HttpRequest) -> list[tuple[str, str]]:
    """Links to the same search without one group of criteria, for an empty result."""
    links = []
    for label, keys in WIDENINGS:
        if any(request.GET.get(k) for k in keys):
            params = request.GET.copy()
            for key in keys:
                params.pop(key, None)
            links.append((str(label), reverse("network:search") + "?" + params.urlencode()))
    return links


@access("public")
def capability_search(request: HttpRequest) -> HttpResponse:
    searched = bool(request.GET)
    if searched:
        form, matches = _run_search(request)
    else:
        # Nothing asked yet: show the form and the example, not the whole network.
        form, matches = CapabilitySearchForm(), []
    return _render_page(
        request,
        "network/search.html",
        "network/_search_results.html",
        {
            "form": form,
            "matches": matches,
            "searched": searched,
            "features": _features(matches),
            "communes": _communes,
            "map_strings": MAP_STRINGS,
            "example_url": _example_query(timezone.localdate()),
            "placed_errors": _placed_errors(form),
            "widenings": _widenings(request)
            if searched and not matches and not form.errors
            else [],
        },
    )


def _language_names(codes: list[Any]) -> list[str]:
    names = []
    for code in codes or []:
        try:
            names.append(str(get_language_info(str(code))["name_translated"]))
        except KeyError:
            names.append(str(code))  # a language Django does not know: show what was typed
    return names


def _hours_by_day(hours: list[OpeningHours]) -> list[tuple[str, list[OpeningHours]]]:
    """Every weekday, Monday first, with its opening periods (an empty list: closed)."""
    return [
        (str(label), [h for h in hours if h.weekday == day])
        for day, label in OpeningHours.Weekday.choices
    ]


def _description_html(site: Site) -> SafeString:
    # Cleaned when stored by the services; cleaned again here for rows written another way.
    return mark_safe(clean_html(site.description))  # nh3 output is safe HTML


@access("public", object="slug", model="network.Site")
def site_detail(request: HttpRequest, slug: str) -> HttpResponse:
    site = get_visible_or_404(Site, request.actor, slug=slug)  # type: ignore[attr-defined]
    context = site_detail_context(request.actor, site)  # type: ignore[attr-defined]
    context["can_edit"] = site.organization_id in request.actor.organization_ids  # type: ignore[attr-defined]
    context["point"] = json.dumps([float(site.latitude), float(site.longitude)])
    context["hours_by_day"] = _hours_by_day(context["opening_hours"])
    context["language_names"] = _language_names(site.languages)
    context["description_html"] = _description_html(site)
    context["communes"] = _communes
    context["map_strings"] = MAP_STRINGS
    return render(request, "network/site_detail.html", context)
