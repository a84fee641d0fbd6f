"""Forms of the shop-floor pages (big inputs, phone keyboards: ``inputmode``).

Forms only shape what was typed; ``production.services`` checks the permission, the state and
the quantities (a negative or zero quantity, a unit without conversion, more than on hand are
refused there and shown on the form). Choices of organisation-owned objects (stock locations,
items) are built from the work order's site only, so a forged id is a form error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.forms import LenientDecimalField, PlatformForm
from reproduce.designs.models import UNIT_SYMBOLS, Item, Unit
from reproduce.inventory.models import Location
from reproduce.production.models import PauseReason, ScrapReason
from reproduce.production.services import MAX_MINUTES

PLACES = 3


def _unit_choices(blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [
        (u.value, f"{UNIT_SYMBOLS.get(u.value, u.value)} ({u.label})") for u in Unit
    ]


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj.name}"


class PauseForm(PlatformForm):
    prefix = "pause"

    reason = forms.ChoiceField(
        label=_("Why does the work stop?"),
        choices=PauseReason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class OutputForm(PlatformForm):
    prefix = "output"

    fieldsets = [(_("Parts made"), ["good", "scrap"], "grid"), ("", ["scrap_reason", "note"])]

    good = LenientDecimalField(label=_("Good"), places=PLACES, required=False, initial=0)
    scrap = LenientDecimalField(label=_("Scrap"), places=PLACES, required=False, initial=0)
    scrap_reason = forms.ChoiceField(
        label=_("Why scrapped"),
        choices=[("", _("— no scrap —")), *ScrapReason.choices],
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ConsumeForm(PlatformForm):
    """A lot used by the work: its code (typed, or filled by the camera scanner)."""

    prefix = "consume"

    code = forms.CharField(
        label=_("Lot code"),
        max_length=300,  # a scanned label holds a whole URL
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_("Type the code printed on the label, or scan its QR code."),
    )
    quantity = LenientDecimalField(label=_("Quantity used"), places=PLACES)
    unit = forms.ChoiceField(label=_("Unit"), choices=(), required=False)
    location = LocationChoiceField(
        label=_("Taken from"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("Where the lot is (automatic)"),
    )
    scanned = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["unit"].choices = _unit_choices(str(_("Unit of the lot")))  # type: ignore[attr-defined]


class PhotoForm(PlatformForm):
    prefix = "photo"

    photo = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text=_("PNG, JPEG, WebP or GIF."),
    )
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class TimeForm(PlatformForm):
    prefix = "time"

    minutes = forms.IntegerField(
        label=_("Minutes to add"),
        min_value=1,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Work done off the clock (set-up before starting, a forgotten start)."),
    )


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class FinishForm(PlatformForm):
    """What the finished work puts in stock (one lot; leave the quantity at 0 for none)."""

    prefix = "finish"

    item = ItemChoiceField(label=_("What was made"), queryset=Item.objects.none())
    quantity = LenientDecimalField(
        label=_("Quantity made"),
        places=PLACES,
        required=False,
        help_text=_("0: nothing goes to stock (everything was scrapped)."),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=(), required=False)
    code = forms.CharField(
        label=_("Lot code"),
        max_length=20,
        required=False,
        help_text=_("Leave empty: a code is made for you."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    location = LocationChoiceField(
        label=_("Put in"), queryset=Location.objects.none(), empty_label=None
    )

    def __init__(
        self, *args: Any, items: QuerySet[Item], locations: QuerySet[Location], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["unit"].choices = _unit_choices(str(_("Unit of the item")))  # type: ignore[attr-defined]
