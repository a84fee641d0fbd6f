"""Forms of the network registry: the capability search and the editing of sites and machines."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from reproduce.core.validators import validate_in_belgium
from reproduce.network.models import Commune, Material, Process, ToleranceClass
from reproduce.network.selectors import CapabilityQuery


def _sorted_choices(pairs: Any) -> list[tuple[str, Any]]:
    """Choices in the alphabetical order of the current language."""
    return sorted(pairs, key=lambda c: str(c[1]).casefold())


def process_choices() -> list[tuple[str, Any]]:
    return [
        ("", _("Any process")),
        *_sorted_choices((p.code, p.label) for p in Process.objects.all()),
    ]


def material_choices() -> list[tuple[str, Any]]:
    return [
        ("", _("Any material")),
        *_sorted_choices((m.code, m.label) for m in Material.objects.all()),
    ]


def commune_choices() -> list[tuple[str, Any]]:
    return [
        ("", _("All communes")),
        *_sorted_choices((c.nis_code, c.name) for c in Commune.objects.all()),
    ]


class CapabilitySearchForm(forms.Form):
    """“Who can laser-cut 6 mm plywood 600×400 near Molenbeek next week?”"""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("e.g. laser cutting, lasersnijden, denim")}
        ),
    )
    process = forms.ChoiceField(label=_("Process"), required=False)
    material = forms.ChoiceField(label=_("Material"), required=False)
    min_x_mm = forms.IntegerField(
        label=_("Part length (mm)"), required=False, min_value=1, max_value=100000
    )
    min_y_mm = forms.IntegerField(
        label=_("Part width (mm)"), required=False, min_value=1, max_value=100000
    )
    min_z_mm = forms.IntegerField(
        label=_("Part height (mm)"), required=False, min_value=1, max_value=100000
    )
    tolerance = forms.ChoiceField(
        label=_("Tolerance class needed (ISO 2768-1)"),
        required=False,
        choices=[("", _("Any")), *list(ToleranceClass.choices)],
    )
    commune = forms.ChoiceField(label=_("Commune"), required=False)
    near_lat = forms.DecimalField(
        label=_("Near: latitude"), required=False, max_digits=8, decimal_places=5
    )
    near_lon = forms.DecimalField(
        label=_("Near: longitude"), required=False, max_digits=8, decimal_places=5
    )
    radius_km = forms.DecimalField(
        label=_("Within (km)"),
        required=False,
        min_value=0.1,
        max_value=200,
        max_digits=5,
        decimal_places=1,
    )
    near_commune = forms.ChoiceField(label=_("Near the commune"), required=False)
    available_from = forms.DateField(
        label=_("Available from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    available_to = forms.DateField(
        label=_("Available until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["process"].choices = process_choices()
        fields["material"].choices = material_choices()
        communes = commune_choices()
        fields["commune"].choices = communes
        fields["near_commune"].choices = [("", _("—")), *communes[1:]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("near_lat"), data.get("near_lon")
        if (lat is None) != (lon is None):
            raise ValidationError(
                _("Give both latitude and longitude, or neither."), code="half_point"
            )
        if lat is not None and lon is not None:
            validate_in_belgium(lat, lon)
        start, end = data.get("available_from"), data.get("available_to")
        if (start is None) != (end is None):
            raise ValidationError(
                _("Give both dates of the period, or neither."), code="half_period"
            )
        if start and end:
            if end < start:
                raise ValidationError(
                    _("The period ends before it starts."), code="period_reversed"
                )
            if (end - start).days > 366:
                raise ValidationError(
                    _("Ask for a period of one year at most."), code="period_too_long"
                )
        return data

    def to_query(self) -> CapabilityQuery:
        d = self.cleaned_data
        lat = float(d["near_lat"]) if d.get("near_lat") is not None else None
        lon = float(d["near_lon"]) if d.get("near_lon") is not None else None
        if lat is None and d.get("near_commune"):
            commune = Commune.objects.filter(nis_code=d["near_commune"]).first()
            if commune is not None:
                lat, lon = float(commune.centroid_lat), float(commune.centroid_lon)
        radius = float(d["radius_km"]) if d.get("radius_km") else None
        return CapabilityQuery(
            text=d.get("q") or "",
            process=d.get("process") or "",
            material=d.get("material") or "",
            min_x_mm=d.get("min_x_mm"),
            min_y_mm=d.get("min_y_mm"),
            min_z_mm=d.get("min_z_mm"),
            tolerance=d.get("tolerance") or "",
            commune=d.get("commune") or "",
            near_lat=lat,
            near_lon=lon,
            radius_km=radius,
            available_from=d.get("available_from"),
            available_to=d.get("available_to"),
        )
