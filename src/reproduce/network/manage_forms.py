"""Forms of the management pages: sites, opening hours, closures, machines, sharing, skills.

Every choice of an organisation-owned object (organisation, site) is built from the acting
person's own organisations, so a forged id in a POST is a form error, never a foreign write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.forms import (
    CheckboxGroups,
    LenientDecimalField,
    PlatformForm,
    PlatformModelForm,
)
from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor
from reproduce.core.permissions import has_perm
from reproduce.network.models import (
    Audience,
    FieldGroup,
    Machine,
    MachineUnavailability,
    Material,
    OpeningHours,
    Process,
    Site,
    Skill,
)
from reproduce.network.services import SITE_FIELDS, Period

# Languages a workshop may speak with visitors (ISO 639-1); the UI languages come first.
SPOKEN_LANGUAGES = [
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("de", _("German")),
    ("ar", _("Arabic")),
    ("es", _("Spanish")),
    ("it", _("Italian")),
    ("pt", _("Portuguese")),
    ("tr", _("Turkish")),
    ("pl", _("Polish")),
    ("ro", _("Romanian")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("ln", _("Lingala")),
]


def organizations_where(actor: Actor, perm: str) -> list[int]:
    """The actor's organisations in which they hold ``perm``."""
    return sorted(org_id for org_id in actor.organization_ids if has_perm(actor, perm, org_id))


def _root_of(process: Process, by_id: dict[int, Process]) -> Process:
    seen = set()
    while process.parent_id and process.parent_id in by_id and process.pk not in seen:
        seen.add(process.pk)
        process = by_id[process.parent_id]
    return process


def process_groups(processes: Iterable[Process]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Processes grouped under their broadest process, labels in the current language."""
    by_id = {p.pk: p for p in processes}
    groups: dict[int, list[Process]] = defaultdict(list)
    for process in by_id.values():
        groups[_root_of(process, by_id).pk].append(process)
    result = []
    for root_id, members in groups.items():
        members.sort(key=lambda p: (p.pk != root_id, p.label.casefold()))
        result.append((by_id[root_id].label, [(p.pk, p.label) for p in members]))
    return sorted(result, key=lambda g: g[0].casefold())


def material_groups(materials: Iterable[Material]) -> list[tuple[str, list[tuple[int, str]]]]:
    groups: dict[str, list[Material]] = defaultdict(list)
    for material in materials:
        groups[material.category].append(material)
    labels = dict(Material.Category.choices)
    return sorted(
        (
            (
                str(labels.get(cat, cat)),
                [(m.pk, m.label) for m in sorted(items, key=lambda m: m.label.casefold())],
            )
            for cat, items in groups.items()
        ),
        key=lambda g: g[0].casefold(),
    )


class TaxonomyChoiceMixin:
    """Grouped choices for processes and materials (the queryset still validates the ids)."""

    def _set_grouped(self, name: str, groups: list[Any], blank: bool = False) -> None:
        field = self.fields[name]  # type: ignore[attr-defined]
        field.choices = ([("", "—")] if blank else []) + groups


# ---------------------------------------------------------------- sites


class SiteForm(TaxonomyChoiceMixin, PlatformModelForm):
    """A site's details. On creation the organisation is chosen among the actor's own."""

    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), empty_label=None
    )
    latitude = LenientDecimalField(
        label=_("Latitude"),
        places=5,
        help_text=_(
            "In decimal degrees, e.g. 50.85400 (Brussels is near 50.85). Find it by right-clicking "
            "the place on an online map."
        ),
    )
    longitude = LenientDecimalField(
        label=_("Longitude"),
        places=5,
        help_text=_("In decimal degrees, e.g. 4.33000 (Brussels is near 4.35)."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"), choices=SPOKEN_LANGUAGES, required=False, widget=CheckboxGroups
    )
    processes = forms.ModelMultipleChoiceField(
        label=_("Services offered"),
        queryset=Process.objects.all(),
        required=False,
        widget=CheckboxGroups,
        help_text=_(
            "The processes people can order from this site, even without a listed machine."
        ),
    )

    fieldsets = [
        (_("Site"), ["organization", "name", "description"]),
        (_("Address"), ["street", "postcode", "city"]),
        (_("Location on the map"), ["latitude", "longitude"], "grid"),
        (_("Access"), ["access_type", "wheelchair_access", "languages"]),
        (_("Contacts"), ["email", "phone"]),
        (_("Services"), ["processes"]),
        (_("Visibility"), ["is_listed"]),
    ]

    class Meta:
        model = Site
        # The fields the site services accept, plus the services offered.
        fields = [*SITE_FIELDS, "processes"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "postcode": _("The commune is found from the postcode."),
            "email": _("Shown according to your sharing choice for contacts."),
            "description": _(
                "Simple formatting is kept (bold, lists, links); anything else is removed."
            ),
        }

    def __init__(self, *args: Any, actor: Actor, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            ids = organizations_where(actor, "site.edit")
            field = self.fields["organization"]
            field.queryset = Organization.objects.filter(pk__in=ids, is_active=True)  # type: ignore[attr-defined]
            field.initial = actor.active_organization_id
            if len(ids) == 1:
                field.widget = forms.HiddenInput()
        else:
            del self.fields["organization"]
        self._set_grouped("processes", process_groups(Process.objects.all()))

    def clean_postcode(self) -> str:
        value = (self.cleaned_data.get("postcode") or "").strip()
        if not (len(value) == 4 and value.isdigit() and value[0] != "0"):
            raise ValidationError(
                _("A Belgian postcode has four digits, e.g. 1080."), code="invalid_postcode"
            )
        return value

    def site_values(self) -> dict[str, Any]:
        return {
            k: v for k, v in self.cleaned_data.items() if k not in ("organization", "processes")
        }


# ---------------------------------------------------------------- opening hours


def _time_widget() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class OpeningPeriodForm(forms.Form):
    """One row of the weekly opening hours; a completely empty row is ignored."""

    weekday = forms.TypedChoiceField(
        label=_("Day"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—"), *OpeningHours.Weekday.choices],
    )
    opens = forms.TimeField(label=_("Opens"), required=False, widget=_time_widget())
    closes = forms.TimeField(label=_("Closes"), required=False, widget=_time_widget())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = [data.get("weekday"), data.get("opens"), data.get("closes")]
        if all(v is None for v in values) and not self.errors:
            data["empty"] = True
            return data
        for name in ("weekday", "opens", "closes"):
            if data.get(name) is None and name not in self.errors:
                self.add_error(
                    name,
                    ValidationError(
                        _("Fill this in too, or empty the whole row."), code="incomplete_row"
                    ),
                )
        opens, closes = data.get("opens"), data.get("closes")
        if opens and closes and closes <= opens:
            self.add_error(
                "closes",
                ValidationError(
                    _("The site must close after it opens."), code="closes_before_opens"
                ),
            )
        return data

    def period(self) -> Period | None:
        data = getattr(self, "cleaned_data", {})
        if data.get("empty") or data.get("DELETE") or data.get("weekday") is None:
            return None  # an empty extra row, a row being removed, or an invalid one
        return Period(weekday=data["weekday"], opens=data["opens"], closes=data["closes"])


class BaseOpeningHoursFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this period")
            form.fields["DELETE"].label_suffix = ""

    def clean(self) -> None:
        if any(self.errors):
            return
        by_day: dict[int, list[tuple[Period, forms.Form]]] = defaultdict(list)
        for form in self.forms:
            period = form.period()  # type: ignore[attr-defined]
            if period is not None:
                by_day[period.weekday].append((period, form))
        problems = []
        for day, rows in by_day.items():
            rows.sort(key=lambda r: r[0].opens)
            for (earlier, _f), (later, form) in pairwise(rows):
                if later.opens < earlier.closes:
                    form.add_error(
                        "opens",
                        ValidationError(
                            _("Overlaps the period %(opens)s–%(closes)s of the same day."),
                            code="overlap",
                            params={
                                "opens": f"{earlier.opens:%H:%M}",
                                "closes": f"{earlier.closes:%H:%M}",
                            },
                        ),
                    )
                    problems.append(OpeningHours.Weekday(day).label)
        if problems:
            raise ValidationError(
                _("Two periods of the same day overlap (%(days)s): change or remove one."),
                code="overlapping_periods",
                params={"days": ", ".join(str(d) for d in problems)},
            )

    def periods(self) -> list[Period]:
        return [p for p in (form.period() for form in self.forms) if p is not None]  # type: ignore[attr-defined]

    def add_non_form_error(self, error: ValidationError) -> None:
        self._non_form_errors = self.error_class(  # type: ignore[has-type]
            [*self.non_form_errors(), *error.messages],
            error_class="nonform",
            renderer=self.renderer,  # type: ignore[attr-defined]
        )


OpeningHoursFormSet: type[BaseOpeningHoursFormSet] = forms.formset_factory(  # type: ignore[assignment]
    OpeningPeriodForm,
    formset=BaseOpeningHoursFormSet,
    extra=1,
    can_delete=True,
    max_num=42,
    validate_max=True,
)


def opening_hours_initial(hours: Iterable[OpeningHours]) -> list[dict[str, Any]]:
    return [{"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in hours]


def rows_from_post(data: Any, prefix: str = "form") -> list[dict[str, Any]]:
    """The rows a person typed (kept as typed), without those marked for removal."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 42)
    except ValueError:
        total = 0
    rows = []
    for i in range(total):
        if data.get(f"{prefix}-{i}-DELETE"):
            continue
        row = {k: data.get(f"{prefix}-{i}-{k}", "") for k in ("weekday", "opens", "closes")}
        if any(row.values()):
            rows.append(row)
    return rows


# ---------------------------------------------------------------- closures


class ClosureForm(PlatformForm):
    start_date = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_date = forms.DateField(
        label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Optional, e.g. “summer holidays”. Shown with your capacity data."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date",
                ValidationError(
                    _("The closure must end on or after its first day."), code="end_before_start"
                ),
            )
        return data


# ---------------------------------------------------------------- machines


class MachineForm(TaxonomyChoiceMixin, PlatformModelForm):
    """Every Open Know-Where equipment field of a machine."""

    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), empty_label=None)
    process = forms.ModelChoiceField(label=_("Main process"), queryset=Process.objects.all())
    extra_processes = forms.ModelMultipleChoiceField(
        label=_("Other processes"),
        queryset=Process.objects.all(),
        required=False,
        widget=CheckboxGroups,
    )
    materials = forms.ModelMultipleChoiceField(
        label=_("Materials worked"),
        queryset=Material.objects.all(),
        required=False,
        widget=CheckboxGroups,
    )
    max_thickness_mm = LenientDecimalField(
        label=_("Maximum material thickness (mm)"), places=1, required=False, min_value=0
    )
    hourly_rate = LenientDecimalField(
        label=_("Hourly rate (EUR, excl. VAT)"),
        places=2,
        required=False,
        min_value=0,
        help_text=_("Shown according to your sharing choice for prices."),
    )

    fieldsets = [
        (_("Machine"), ["site", "name", "process", "extra_processes", "materials"]),
        (_("Identification"), ["make", "model", "year", "quantity", "condition"], "grid"),
        (
            _("Capacity"),
            [
                "envelope_x_mm",
                "envelope_y_mm",
                "envelope_z_mm",
                "max_thickness_mm",
                "laser_power_w",
                "spindle_power_w",
                "axes",
                "tolerance_class",
            ],
            "grid",
        ),
        (_("Use"), ["hourly_rate", "requires_trained_operator", "description"]),
    ]

    class Meta:
        model = Machine
        fields = [
            "site",
            "name",
            "process",
            "extra_processes",
            "materials",
            "make",
            "model",
            "year",
            "quantity",
            "condition",
            "envelope_x_mm",
            "envelope_y_mm",
            "envelope_z_mm",
            "max_thickness_mm",
            "laser_power_w",
            "spindle_power_w",
            "axes",
            "tolerance_class",
            "hourly_rate",
            "requires_trained_operator",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "envelope_x_mm": _("Bed, table or build volume: the largest part it takes."),
            "axes": _("For CNC machines: 3, 4 or 5."),
            "description": _(
                "Simple formatting is kept (bold, lists, links); anything else is removed."
            ),
        }

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = organizations_where(actor, "machine.edit")
        self.fields["site"].queryset = (  # type: ignore[attr-defined]
            Site.objects.owned_by(ids)
            .select_related("organization")
            .order_by("organization__name", "name")
        )
        if len(ids) > 1:
            self.fields["site"].label_from_instance = (  # type: ignore[attr-defined]
                lambda s: f"{s.organization.name} \u2013 {s.name}"
            )
        processes = list(Process.objects.all())
        groups = process_groups(processes)
        self._set_grouped("process", groups, blank=True)
        self._set_grouped("extra_processes", groups)
        self._set_grouped("materials", material_groups(Material.objects.all()))

    def machine_values(self) -> dict[str, Any]:
        skip = {"site", "process", "extra_processes", "materials"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UnavailabilityForm(PlatformForm):
    starts_at = forms.DateTimeField(label=_("From"), widget=_datetime_widget())
    ends_at = forms.DateTimeField(label=_("Until"), widget=_datetime_widget())
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=MachineUnavailability.Reason.choices,
        initial=MachineUnavailability.Reason.MAINTENANCE,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error(
                "ends_at",
                ValidationError(_("The end must be after the start."), code="end_before_start"),
            )
        return data


# ---------------------------------------------------------------- sharing


class SharingForm(PlatformForm):
    """Who sees one group of the organisation's data."""

    audience = forms.ChoiceField(
        label=_("Visible to"), choices=Audience.choices, widget=forms.RadioSelect
    )
    shared_with = forms.ModelMultipleChoiceField(
        label=_("Organisations named"),
        queryset=Organization.objects.none(),
        required=False,
        widget=CheckboxGroups,
        help_text=_("Used when you choose “Only the organisations I name”."),
    )

    def __init__(
        self,
        *args: Any,
        group: str,
        organization: Organization,
        others: QuerySet[Organization],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", group)
        super().__init__(*args, **kwargs)
        self.group = FieldGroup(group)
        self.fields["shared_with"].queryset = others  # type: ignore[attr-defined]
        self.fields["shared_with"].label_from_instance = lambda o: o.name  # type: ignore[attr-defined]

    @property
    def legend(self) -> str:
        return str(self.group.label)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("audience") == Audience.NAMED and not data.get("shared_with"):
            self.add_error(
                "shared_with",
                ValidationError(
                    _("Name at least one organisation, or choose another audience."),
                    code="no_organisation_named",
                ),
            )
        return data


# ---------------------------------------------------------------- skills


class SkillForm(TaxonomyChoiceMixin, PlatformForm):
    process = forms.ModelChoiceField(label=_("Process"), queryset=Process.objects.all())
    level = forms.ChoiceField(label=_("Level"), choices=Skill.Level.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "skill")
        super().__init__(*args, **kwargs)
        self._set_grouped("process", process_groups(Process.objects.all()), blank=True)
