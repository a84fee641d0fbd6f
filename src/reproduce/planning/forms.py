"""Forms of the planning pages."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.forms import PlatformForm
from reproduce.designs.forms import OneTimeTokenMixin
from reproduce.planning.services import MAX_TIME_LIMIT, MIN_TIME_LIMIT


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


DURATIONS = [(m, _duration(m)) for m in range(30, 8 * 60 + 1, 30)]


class ReplanForm(PlatformForm):
    reason = forms.CharField(
        label=_("Why re-plan?"),
        max_length=200,
        help_text=_("For example: the laser of Cityfab 1 is down until Friday."),
    )
    time_limit = forms.IntegerField(
        label=_("Time to search (seconds)"),
        min_value=MIN_TIME_LIMIT,
        max_value=120,
        initial=20,
        help_text=_("Longer searches find better plans for big networks."),
    )

    def clean_time_limit(self) -> int:
        value = int(self.cleaned_data["time_limit"])
        return min(value, MAX_TIME_LIMIT)


class SlotSearchForm(forms.Form):
    day = forms.DateField(
        label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    minutes = forms.TypedChoiceField(label=_("Duration"), choices=DURATIONS, coerce=int, initial=60)


class BookingForm(OneTimeTokenMixin, PlatformForm):
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
    minutes = forms.TypedChoiceField(label=_("Duration"), choices=DURATIONS, coerce=int)
    purpose = forms.CharField(label=_("What for?"), max_length=200, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.add_token()

    @property
    def period(self) -> tuple[object, object]:
        start = self.cleaned_data["starts_at"]
        return start, start + timedelta(minutes=self.cleaned_data["minutes"])
