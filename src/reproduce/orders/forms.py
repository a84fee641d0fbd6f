"""Forms of the orders and dispatch pages.

Forms shape what a person typed; every write goes through ``orders.services``, which checks
the permission and the state again. Choices of organisation-owned objects (the customer, the
design version, a site's machines) are built from what the acting person may use, so a forged
id in a POST is a form error, never a foreign write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.forms import LenientDecimalField, PlatformForm
from reproduce.accounts.models import Organization
from reproduce.designs import configurator
from reproduce.designs.forms import OneTimeTokenMixin
from reproduce.designs.models import DesignVersion
from reproduce.network.models import Site
from reproduce.orders.models import DeclineReason, OrderState
from reproduce.orders.services import MAX_QUANTITY

OPTION_PREFIX = "option_"
MAX_ANSWER_HOURS = 24 * 14


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def version_label(version: DesignVersion) -> str:
    return f"{version.design.name} {version.number} \u2013 {version.design.organization.name}"


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return version_label(obj)


# ---------------------------------------------------------------- ordering


class OrderForm(OneTimeTokenMixin, PlatformForm):
    """One line of a new order: a released version, its options, how many, when and where.

    The option fields depend on the chosen version: the bound data's version (or the
    ``initial`` one on a GET, e.g. ``?version=<id>``) decides which are shown.
    """

    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1
    )
    requested_date = forms.DateField(
        label=_("Delivery wished by"),
        widget=_date_widget(),
        help_text=_("The network plans the work to deliver by this date, and tells you if not."),
    )
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=300, required=False)
    notes = forms.CharField(
        label=_("Notes for the network"), required=False, widget=_textarea(), max_length=4000
    )

    def __init__(
        self,
        data: Any = None,
        *,
        customers: QuerySet[Organization],
        versions: QuerySet[DesignVersion],
        active_customer: int | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial or {})
        customer_list = list(customers)
        field = forms.ModelChoiceField(
            label=_("Customer"),
            queryset=customers,
            empty_label=None if len(customer_list) == 1 else _("Choose the organisation"),
            help_text=_("The organisation ordering and paying."),
        )
        if len(customer_list) == 1:
            field.widget = forms.HiddenInput()
            field.initial = customer_list[0].pk
        elif any(c.pk == active_customer for c in customer_list):
            field.initial = active_customer
        self.fields["customer"] = field
        self.versions = versions
        self.fields["version"] = VersionChoiceField(
            label=_("Design"),
            queryset=versions,
            empty_label=_("Choose a released design"),
            help_text=_("Released designs of the library that you may see."),
        )
        self.fields["version"].widget.attrs["class"] = "order-version"
        self.chosen_version = self._chosen_version()
        self.options = configurator.options(self.chosen_version) if self.chosen_version else []
        for option in self.options:
            name = OPTION_PREFIX + option.code
            if option.kind == "toggle":
                self.fields[name] = forms.BooleanField(
                    label=option.label,
                    required=False,
                    initial=bool(option.default),
                    help_text=option.help,
                )
            else:
                self.fields[name] = forms.IntegerField(
                    label=option.label,
                    min_value=option.minimum,
                    max_value=option.maximum,
                    initial=option.default,
                    help_text=option.help,
                )
        order = ["customer", "version", "quantity"]
        order += [OPTION_PREFIX + o.code for o in self.options]
        order += ["requested_date", "delivery_address", "notes"]
        self.order_fields(order)
        self.add_token()

    def _chosen_version(self) -> DesignVersion | None:
        raw = self.data.get("version") if self.is_bound else self.initial.get("version")
        if isinstance(raw, DesignVersion):
            return raw
        try:
            pk = int(str(raw))
        except (TypeError, ValueError):
            return None
        return self.versions.filter(pk=pk).first()

    def option_fields(self) -> list[forms.BoundField]:
        return [self[OPTION_PREFIX + o.code] for o in self.options]

    def configuration(self) -> dict[str, int]:
        data = self.cleaned_data
        return {
            o.code: int(data.get(OPTION_PREFIX + o.code) or 0)
            for o in self.options
            if OPTION_PREFIX + o.code in data
        }

    def clean_requested_date(self) -> Any:
        value = self.cleaned_data["requested_date"]
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The delivery date cannot be in the past."))
        return value


# ---------------------------------------------------------------- order actions


class QuoteForm(PlatformForm):
    amount = LenientDecimalField(
        places=2,
        label=_("Price (EUR, excl. VAT)"),
        min_value=0,
        max_digits=10,
    )
    valid_until = forms.DateField(label=_("Valid until"), widget=_date_widget())
    note = forms.CharField(label=_("Note to the customer"), required=False, widget=_textarea())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "quote")
        super().__init__(*args, **kwargs)


class CancelForm(PlatformForm):
    reason = forms.CharField(label=_("Why cancel?"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "cancel")
        super().__init__(*args, **kwargs)


class StateFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every status")), *OrderState.choices],
    )


# ---------------------------------------------------------------- dispatch (coordinator)


class OfferForm(PlatformForm):
    site = forms.IntegerField(widget=forms.HiddenInput)
    answer_within_hours = forms.IntegerField(
        label=_("Answer within (hours)"), min_value=1, max_value=MAX_ANSWER_HOURS, initial=48
    )


class AssignForm(PlatformForm):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    reason = forms.CharField(
        label=_("Why assign it directly?"),
        max_length=300,
        help_text=_("For example: agreed by phone with the workshop."),
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        field: Any = self.fields["site"]
        field.queryset = sites
        field.empty_label = _("Choose a site")


# ---------------------------------------------------------------- answers (sites)


class AcceptForm(PlatformForm):
    machine = forms.TypedChoiceField(
        label=_("Machine"), required=False, coerce=int, empty_value=None
    )
    comment = forms.CharField(label=_("Comment (optional)"), max_length=400, required=False)

    def __init__(self, *args: Any, machines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["machine"]
        field.choices = [("", _("Decide later")), *[(m.pk, m.name) for m in machines]]
        if not machines:
            field.widget = forms.HiddenInput()


class DeclineForm(PlatformForm):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Choose a reason")), *DeclineReason.choices]
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=400,
        required=False,
        help_text=_("Required for “Other reason”."),
    )


class CounterForm(PlatformForm):
    proposed_end = forms.DateTimeField(
        label=_("We can finish by"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    proposed_price = LenientDecimalField(
        places=2, label=_("Our price (EUR)"), required=False, max_digits=10
    )
    comment = forms.CharField(label=_("Comment"), max_length=400, required=False)

    def clean_proposed_end(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("proposed_end")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value
