"""Forms of the traceability pages: find a lot, print labels, choose what a passport shows."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.forms import PlatformForm
from reproduce.inventory.models import PassportField
from reproduce.traceability.identifiers import code_from_scan
from reproduce.traceability.labels import DEFAULT_SHEET, SHEETS


class SearchForm(PlatformForm):
    code = forms.CharField(
        label=_("Lot code"),
        max_length=300,
        help_text=_("Type the code printed on the label, or scan its QR code."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        return code_from_scan(self.cleaned_data["code"])[:40]


class LabelForm(PlatformForm):
    sheet = forms.ChoiceField(
        label=_("Label sheet"),
        choices=[(code, sheet.name) for code, sheet in SHEETS.items()],
        initial=DEFAULT_SHEET,
    )
    copies = forms.IntegerField(
        label=_("Copies of each label"), min_value=1, max_value=100, initial=1
    )
    start = forms.IntegerField(
        label=_("Start at label number"),
        min_value=1,
        max_value=65,
        initial=1,
        help_text=_("Skip the labels already used on the first sheet (counted row by row)."),
    )


class PassportForm(PlatformForm):
    public = forms.BooleanField(
        label=_("Publish this lot's passport"),
        required=False,
        help_text=_("Anyone who scans the label sees the parts chosen below; nothing else."),
    )
    parts = forms.MultipleChoiceField(
        label=_("Public parts"),
        required=False,
        choices=PassportField.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    care = forms.CharField(
        label=_("Care"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    repair = forms.CharField(
        label=_("Repair"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    disposal = forms.CharField(
        label=_("End of life"),
        required=False,
        max_length=2000,
        help_text=_("How to sort, recycle or compost it when it can no longer be used."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    fieldsets = [
        ("", ["public", "parts"]),
        (_("Care, repair and end of life"), ["care", "repair", "disposal"]),
    ]
