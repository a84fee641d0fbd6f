"""Forms of the events: the officer's event form, the public registration, the attendance."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reproduce.designs.forms import OneTimeTokenMixin
from reproduce.programme.models import Cohort, EventKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EventForm(OneTimeTokenMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title_fr = forms.CharField(label=_("Title (French)"), max_length=200)
    title_nl = forms.CharField(label=_("Title (Dutch)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    description_fr = forms.CharField(
        label=_("Description (French)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_nl = forms.CharField(
        label=_("Description (Dutch)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    place = forms.CharField(label=_("Place"), max_length=200)
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        required=False,
        help_text=_("Leave empty for no limit."),
    )
    cohort = forms.ModelChoiceField(
        label=_("Cohort"), queryset=Cohort.objects.none(), required=False
    )

    def __init__(self, *args: Any, cohorts: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts  # type: ignore[attr-defined]
        if creating:
            self.add_token()

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "form_token"}


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    organization_name = forms.CharField(
        label=_("Organisation (optional)"), max_length=200, required=False
    )
    # Left empty by people, filled by robots that fill every field: such a form is ignored.
    website = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
        label=_("Leave this field empty"),
    )


class AttendanceMarkForm(forms.Form):
    """Came / did not come / not known, per registration."""

    CHOICES = [("", _("Not known")), ("yes", _("Came")), ("no", _("Did not come"))]

    def __init__(self, *args: Any, registrations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registrations = registrations
        for r in registrations:
            self.fields[f"r{r.pk}"] = forms.ChoiceField(
                label=r.name, choices=self.CHOICES, required=False, widget=forms.RadioSelect
            )
            if not self.is_bound:
                self.initial[f"r{r.pk}"] = {True: "yes", False: "no"}.get(r.attended, "")

    def attended(self) -> dict[int, bool | None]:
        values = {"yes": True, "no": False}
        return {
            r.pk: values.get(self.cleaned_data.get(f"r{r.pk}") or "") for r in self.registrations
        }

    def rows(self) -> list[tuple[Any, Any]]:
        return [(r, self[f"r{r.pk}"]) for r in self.registrations]
