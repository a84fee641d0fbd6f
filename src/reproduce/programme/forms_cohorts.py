"""Forms of the cohort pages: admitting, sessions, attendance, employment, the participant's
convention and de minimis declaration, grants and receipts.

Forms validate what was typed; the rules (ceilings, de minimis, dates in the future) are the
services', whose refusals the views show next to the field concerned.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.models import Organization
from reproduce.designs.forms import OneTimeTokenMixin
from reproduce.network.models import Site
from reproduce.programme.models import AttendanceStatus, GrantKind, Participant

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0.01")}
RECEIPT_ACCEPT = "application/pdf,image/png,image/jpeg,image/webp"


class AdmitForm(forms.Form):
    host_fablab: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Host fablab"), queryset=Organization.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, call: Any, preferred: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["host_fablab"]
        field.queryset = call.host_fablabs.order_by("name")  # type: ignore[attr-defined]
        if preferred is not None:
            self.initial.setdefault("host_fablab", preferred)


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    place = forms.ModelChoiceField(
        label=_("Place"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("Not decided yet"),
    )

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = sites  # type: ignore[attr-defined]


class AttendanceSheetForm(forms.Form):
    """One row of radio buttons per participant (large targets: officers mark on a phone)."""

    def __init__(self, *args: Any, participants: list[Participant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.participants = participants
        for p in participants:
            self.fields[f"p{p.pk}"] = forms.ChoiceField(
                label=str(p),
                choices=AttendanceStatus.choices,
                widget=forms.RadioSelect,
                required=False,
            )

    def statuses(self) -> dict[Participant, str]:
        return {
            p: self.cleaned_data[f"p{p.pk}"]
            for p in self.participants
            if self.cleaned_data.get(f"p{p.pk}")
        }

    def rows(self) -> list[tuple[Participant, Any]]:
        return [(p, self[f"p{p.pk}"]) for p in self.participants]


class EmploymentForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)
    fte = forms.DecimalField(
        label=_("Jobs (full-time equivalents)"), max_digits=6, decimal_places=2, min_value=0
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ConventionForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I have read the group convention and I sign it."), required=True
    )


class DeMinimisForm(forms.Form):
    agree = forms.BooleanField(label=_("I sign this declaration on my honour."), required=True)


class AidForm(forms.Form):
    granted_on = forms.DateField(label=_("Granted on"), widget=DATE)
    grantor = forms.CharField(label=_("Granted by"), max_length=200)
    amount = forms.DecimalField(label=_("Amount (EUR)"), **MONEY)  # type: ignore[arg-type]
    description = forms.CharField(label=_("What for"), max_length=300, required=False)


AidFormSet = forms.formset_factory(AidForm, extra=3, max_num=30, validate_max=True, can_delete=True)


class ReceiptFields(forms.Form):
    file = forms.FileField(
        label=_("Receipt (PDF or photo)"),
        widget=forms.ClearableFileInput(attrs={"accept": RECEIPT_ACCEPT}),
    )
    receipt_amount = forms.DecimalField(label=_("Amount of the receipt (EUR)"), **MONEY)  # type: ignore[arg-type]
    dated = forms.DateField(label=_("Date of the receipt"), widget=DATE)
    supplier = forms.CharField(label=_("Supplier"), max_length=200, required=False)


class ReceiptForm(OneTimeTokenMixin, ReceiptFields):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()


class GrantRequestForm(OneTimeTokenMixin, forms.Form):
    """The participation grant, or materials with their first receipt."""

    kind = forms.ChoiceField(label=_("Grant"), choices=GrantKind.choices, widget=forms.RadioSelect)
    amount = forms.DecimalField(
        label=_("Amount asked (EUR)"),
        required=False,
        help_text=_("Participation grant: €1,000. Materials: up to €500 in all, on receipts."),
        **MONEY,  # type: ignore[arg-type]
    )
    file = forms.FileField(
        label=_("Receipt (PDF or photo)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": RECEIPT_ACCEPT}),
    )
    receipt_amount = forms.DecimalField(
        label=_("Amount of the receipt (EUR)"),
        required=False,
        **MONEY,  # type: ignore[arg-type]
    )
    dated = forms.DateField(label=_("Date of the receipt"), widget=DATE, required=False)
    supplier = forms.CharField(label=_("Supplier"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == GrantKind.MATERIALS:
            if data.get("amount") is None:
                self.add_error("amount", _("Give the amount asked for materials."))
            for name in ("file", "receipt_amount", "dated"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("A materials grant needs its receipt."))
        return data


class DecideGrantForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Reason (if refused)"), max_length=300, required=False)


class PayGrantForm(forms.Form):
    reference = forms.CharField(label=_("Payment reference"), max_length=60)
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE, required=False)
