"""Forms of the stock pages: receiving, moving, counting, reserving, shipping and receiving
transfers, locations, pools and unit conversions.

Forms shape what a person typed; every write goes through ``inventory.services``, which
checks the permission and the stock again. Choices of organisation-owned objects (locations,
items, pools, work orders) are built from what the acting person may use, so a forged id in
a POST is a form error, never a foreign write.

Composition and contaminant checks are a few fixed rows per lot (material + share, check +
result + note): enough for a delivery note, usable on a phone without JavaScript.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.forms import CheckboxGroups, LenientDecimalField, PlatformForm
from reproduce.accounts.models import Organization
from reproduce.designs.forms import MultipleFileField, MultipleFileInput, OneTimeTokenMixin
from reproduce.designs.models import UNIT_SYMBOLS, Item, ItemKind, Unit
from reproduce.inventory.models import Grade, Location, LocationKind, LotStatus, Origin, StockPool
from reproduce.inventory.services import LOT_CODE
from reproduce.network.models import Site
from reproduce.orders.models import WorkOrder

COMPOSITION_ROWS = 4
CHECK_ROWS = 3
MAX_LINES = 20
MAX_CERTIFICATES = 5
RESULT_CHOICES = [("", "—"), ("pass", _("Pass")), ("fail", _("Fail"))]
CERTIFICATE_ACCEPT = "application/pdf,image/png,image/jpeg,image/webp"


def unit_label(code: str) -> str:
    return f"{UNIT_SYMBOLS.get(code, code)} ({Unit(code).label})" if code in Unit.values else code


UNIT_CHOICES = [(code, unit_label(code)) for code in Unit.values]


def _quantity(label: Any, **kwargs: Any) -> LenientDecimalField:
    return LenientDecimalField(places=3, max_digits=14, label=label, **kwargs)


def _positive(value: Decimal | None) -> Decimal | None:
    if value is not None and value <= 0:
        raise ValidationError(_("The quantity must be more than zero."), code="invalid_quantity")
    return value


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.site.name} · {obj.code} – {obj.name}"


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.organization.name})"


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({UNIT_SYMBOLS.get(obj.default_unit, obj.default_unit)})"


class WorkOrderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference} – {obj.name} ({obj.get_state_display()})"


class CertificatesField(MultipleFileField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": CERTIFICATE_ACCEPT}))
        kwargs.setdefault("label", _("Certificates"))
        kwargs.setdefault(
            "help_text",
            _("PDF or photos (PNG, JPEG, WebP) of certificates or test reports, up to 5."),
        )
        super().__init__(required=False, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = super().clean(data, initial)
        if len(files) > MAX_CERTIFICATES:
            raise ValidationError(_("Send at most 5 files at once."), code="too_many_files")
        return files


# ---------------------------------------------------------------- check and composition rows


class RowsMixin:
    """Fixed rows of composition (material, share) and contaminant checks (check, result,
    note) on a form; cleaned into the lists the services take."""

    composition_rows_count = 0
    check_rows_count = 0

    def add_rows(self) -> None:
        form: Any = self
        for i in range(self.composition_rows_count):
            form.fields[f"material_{i}"] = forms.CharField(
                label=_("Material"), required=False, max_length=80
            )
            form.fields[f"share_{i}"] = LenientDecimalField(
                places=2, label=_("Share (%)"), required=False, min_value=0, max_value=100
            )
        for i in range(self.check_rows_count):
            form.fields[f"check_{i}"] = forms.CharField(
                label=_("Check"), required=False, max_length=120
            )
            form.fields[f"result_{i}"] = forms.ChoiceField(
                label=_("Result"), required=False, choices=RESULT_CHOICES
            )
            form.fields[f"note_{i}"] = forms.CharField(
                label=_("Note"), required=False, max_length=200
            )

    def composition_rows(self) -> list[tuple[Any, Any]]:
        form: Any = self
        return [
            (form[f"material_{i}"], form[f"share_{i}"]) for i in range(self.composition_rows_count)
        ]

    def check_rows(self) -> list[tuple[Any, Any, Any]]:
        form: Any = self
        return [
            (form[f"check_{i}"], form[f"result_{i}"], form[f"note_{i}"])
            for i in range(self.check_rows_count)
        ]

    def clean_rows(self, data: dict[str, Any]) -> None:
        form: Any = self
        composition = []
        for i in range(self.composition_rows_count):
            material, share = data.get(f"material_{i}", "").strip(), data.get(f"share_{i}")
            if material and share is None:
                form.add_error(f"share_{i}", _("Give the share of this material."))
            elif share is not None and not material:
                form.add_error(f"material_{i}", _("Name the material."))
            elif material:
                composition.append({"material": material, "share": str(share)})
        if sum((Decimal(c["share"]) for c in composition), Decimal(0)) > 100:
            form.add_error(None, _("The composition adds up to more than 100 %."))
        checks = []
        for i in range(self.check_rows_count):
            name, result = data.get(f"check_{i}", "").strip(), data.get(f"result_{i}", "")
            note = data.get(f"note_{i}", "").strip()
            if name and not result:
                form.add_error(f"result_{i}", _("Say whether the check passed."))
            elif (result or note) and not name:
                form.add_error(f"check_{i}", _("Name the check."))
            elif name:
                checks.append({"check": name, "result": result, "note": note})
        data["composition"] = composition
        data["checks"] = checks


# ---------------------------------------------------------------- the stock list


class StockFilterForm(forms.Form):
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("All sites")
    )
    item = ItemChoiceField(
        label=_("Item"), queryset=Item.objects.none(), required=False, empty_label=_("All items")
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    q = forms.CharField(label=_("Lot code"), required=False, max_length=40)

    def __init__(
        self, data: Any, *, sites: QuerySet[Site], items: QuerySet[Item], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["item"].queryset = items  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("Any status")), *LotStatus.choices]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- locations and pools


class LocationForm(PlatformForm):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), empty_label=None)
    code = forms.CharField(
        label=_("Code"),
        max_length=30,
        help_text=_("Short and written on the shelf or bag, e.g. A1, RACK-2, BIGBAG-3."),
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=LocationKind.choices,
        help_text=_("Stock in a quarantine location cannot be used until it is inspected."),
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class LocationEditForm(PlatformForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=LocationKind.choices)
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("A location out of use is no longer offered; its history stays."),
    )


class PoolForm(PlatformForm):
    custodian = forms.ModelChoiceField(
        label=_("Custodian"),
        queryset=Organization.objects.none(),
        empty_label=None,
        help_text=_("The organisation that keeps the pooled stock and answers for it."),
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), max_length=300, required=False, widget=_textarea()
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=Organization.objects.none(),
        required=False,
        widget=CheckboxGroups,
        help_text=_("Organisations of the network that may use the pooled stock."),
    )

    def __init__(self, *args: Any, custodians: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["custodian"].queryset = custodians  # type: ignore[attr-defined]
        self.fields["members"].queryset = Organization.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")


# ---------------------------------------------------------------- items and conversions


class ItemForm(PlatformForm):
    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), empty_label=None
    )
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("e.g. Post-consumer flax/cotton textile")
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (ItemKind.MATERIAL, ItemKind.MATERIAL.label),
            (ItemKind.PART, ItemKind.PART.label),
        ],
    )
    default_unit = forms.ChoiceField(
        label=_("Counted in"), choices=UNIT_CHOICES, initial=Unit.KILOGRAM
    )
    specification = forms.CharField(label=_("Specification"), max_length=300, required=False)
    supplier = forms.CharField(label=_("Usual supplier"), max_length=200, required=False)
    is_recycled = forms.BooleanField(label=_("Recycled or recovered"), required=False)

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = organizations  # type: ignore[attr-defined]
        if organizations.count() == 1:
            field.widget = forms.HiddenInput()
            field.initial = organizations.first().pk  # type: ignore[union-attr]


class ConversionForm(PlatformForm):
    item = ItemChoiceField(label=_("Item"), queryset=Item.objects.none())
    from_unit = forms.ChoiceField(label=_("One"), choices=UNIT_CHOICES)
    factor = LenientDecimalField(places=6, label=_("equals"), max_digits=14)
    to_unit = forms.ChoiceField(label=_("of"), choices=UNIT_CHOICES)

    def __init__(self, *args: Any, items: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items  # type: ignore[attr-defined]

    def clean_factor(self) -> Decimal | None:
        value = self.cleaned_data.get("factor")
        if value is not None and value <= 0:
            raise ValidationError(_("The factor must be more than zero."), code="invalid_factor")
        return value


# ---------------------------------------------------------------- receiving


class ReceiptForm(OneTimeTokenMixin, PlatformForm):
    location = LocationChoiceField(
        label=_("Received into"),
        queryset=Location.objects.none(),
        empty_label=None,
        help_text=_("Choose a quarantine location for material that must be checked first."),
    )
    supplier = forms.CharField(
        label=_("Supplier"),
        max_length=200,
        help_text=_("Who delivered: a supplier, a collection point, a partner."),
    )
    delivery_note = forms.CharField(label=_("Delivery note number"), max_length=100, required=False)
    received_at = forms.DateTimeField(
        label=_("Received on"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    def clean_received_at(self) -> Any:
        value = self.cleaned_data.get("received_at")
        if value is not None and value > timezone.now() + timedelta(hours=1):
            raise ValidationError(_("The delivery cannot be in the future."), code="future_date")
        return value


class LotLineForm(RowsMixin, forms.Form):
    """One line of a delivery: one lot."""

    composition_rows_count = COMPOSITION_ROWS
    check_rows_count = CHECK_ROWS

    item = ItemChoiceField(
        label=_("Item"),
        queryset=Item.objects.none(),
        required=False,
        empty_label=_("Choose an item, or name a new material below"),
    )
    new_item = forms.CharField(
        label=_("…or a new material"),
        max_length=200,
        required=False,
        help_text=_("Creates the material in your items."),
    )
    quantity = _quantity(_("Quantity"))
    unit = forms.ChoiceField(
        label=_("Unit"),
        required=False,
        choices=[("", _("The item's unit")), *UNIT_CHOICES],
    )
    origin = forms.ChoiceField(
        label=_("Origin"),
        choices=[c for c in Origin.choices if c[0] != Origin.PRODUCED],
        initial=Origin.SECONDARY,
    )
    supplier = forms.CharField(
        label=_("Supplier of this lot"),
        max_length=200,
        required=False,
        help_text=_("Only if not the supplier of the delivery."),
    )
    collection_source = forms.CharField(
        label=_("Collection source"),
        max_length=300,
        required=False,
        help_text=_("Where the waste was collected: organisation, place, campaign."),
    )
    grade = forms.ChoiceField(
        label=_("Grade"), required=False, choices=[("", _("Not graded")), *Grade.choices]
    )
    recycled_share = LenientDecimalField(
        places=2,
        label=_("Recycled content (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Empty: 100 % for secondary material, unknown otherwise."),
    )
    gtin = forms.CharField(
        label=_("GTIN"),
        max_length=14,
        required=False,
        help_text=_("The barcode number, only if the product has one."),
    )
    code = forms.CharField(
        label=_("Lot code"),
        max_length=20,
        required=False,
        help_text=_("Leave empty and a code is made for you (e.g. the supplier's batch number)."),
    )
    owner = forms.ChoiceField(label=_("Belongs to"), required=False)
    certificates = CertificatesField()

    def __init__(
        self,
        *args: Any,
        items: QuerySet[Item],
        owners: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items  # type: ignore[attr-defined]
        self.fields["owner"].choices = owners  # type: ignore[attr-defined]
        self.fields["quantity"].widget.attrs["inputmode"] = "decimal"
        self.add_rows()

    def clean_quantity(self) -> Decimal | None:
        return _positive(self.cleaned_data.get("quantity"))

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code", "").strip()
        if code and not LOT_CODE.match(code):
            raise ValidationError(
                _("A lot code has 3 to 20 letters, digits, dots, dashes or underscores."),
                code="invalid_lot_code",
            )
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("item") and not data.get("new_item", "").strip():
            self.add_error("item", _("Choose an item or name a new material."))
        self.clean_rows(data)
        return data


class BaseLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        codes = [f.cleaned_data.get("code") for f in self.forms if getattr(f, "cleaned_data", None)]
        given = [c for c in codes if c]
        if len(given) != len(set(given)):
            raise ValidationError(_("Two lines have the same lot code."), code="duplicate_code")


LotLineFormSet = forms.formset_factory(
    LotLineForm,
    formset=BaseLineFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_LINES,
    validate_min=True,
    validate_max=True,
)


# ---------------------------------------------------------------- acting on a lot


class InspectionForm(RowsMixin, PlatformForm):
    check_rows_count = CHECK_ROWS

    grade = forms.ChoiceField(
        label=_("Grade"), required=False, choices=[("", _("Unchanged")), *Grade.choices]
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False, widget=_textarea())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_rows()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_rows(data)
        if not data["checks"] and not data.get("grade"):
            raise ValidationError(_("Record at least one check or a grade."), code="empty")
        return data


class _LotActionForm(PlatformForm):
    location = LocationChoiceField(label=_("Location"), queryset=Location.objects.none())

    def __init__(self, *args: Any, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        field.queryset = locations  # type: ignore[attr-defined]
        if len(field.queryset) == 1:  # type: ignore[attr-defined]
            field.empty_label = None  # type: ignore[attr-defined]


class MoveForm(_LotActionForm):
    to_location = LocationChoiceField(
        label=_("To"),
        queryset=Location.objects.none(),
        help_text=_("A location of the same site. Between sites, ship a transfer."),
    )
    quantity = _quantity(_("Quantity"))
    unit = forms.ChoiceField(label=_("Unit"), required=False)

    def __init__(
        self,
        *args: Any,
        targets: QuerySet[Location],
        units: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].label = _("From")
        self.fields["to_location"].queryset = targets  # type: ignore[attr-defined]
        self.fields["unit"].choices = units  # type: ignore[attr-defined]

    def clean_quantity(self) -> Decimal | None:
        return _positive(self.cleaned_data.get("quantity"))


class ScrapForm(_LotActionForm):
    quantity = _quantity(_("Quantity"))
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    reason = forms.CharField(
        label=_("Why"), max_length=200, help_text=_("e.g. wet and mouldy, contaminated, spilled")
    )

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]

    def clean_quantity(self) -> Decimal | None:
        return _positive(self.cleaned_data.get("quantity"))


class AdjustForm(_LotActionForm):
    quantity = _quantity(
        _("Correction"),
        help_text=_("In the lot's unit: positive when you found more, negative when less."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("e.g. yearly count, weighing error")
    )

    def clean_quantity(self) -> Decimal | None:
        value = self.cleaned_data.get("quantity")
        if value == 0:
            raise ValidationError(_("The correction cannot be zero."), code="invalid_quantity")
        return value


class ReserveForm(_LotActionForm):
    work_order = WorkOrderChoiceField(
        label=_("For work order"),
        queryset=WorkOrder.objects.none(),
        help_text=_("Work accepted by or running at your sites."),
    )
    quantity = _quantity(_("Quantity"))
    unit = forms.ChoiceField(label=_("Unit"), required=False)

    def __init__(
        self,
        *args: Any,
        work_orders: QuerySet[WorkOrder],
        units: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_order"].queryset = work_orders  # type: ignore[attr-defined]
        self.fields["unit"].choices = units  # type: ignore[attr-defined]

    def clean_quantity(self) -> Decimal | None:
        return _positive(self.cleaned_data.get("quantity"))


class CertificateForm(PlatformForm):
    documents = CertificatesField(label=_("Files"))

    def clean_documents(self) -> list[Any]:
        files = self.cleaned_data.get("documents") or []
        if not files:
            raise ValidationError(_("Choose at least one file."), code="required")
        return files


# ---------------------------------------------------------------- transfers


class ShipForm(OneTimeTokenMixin, PlatformForm):
    from_location = LocationChoiceField(
        label=_("From"), queryset=Location.objects.none(), empty_label=None
    )
    to_site = SiteChoiceField(
        label=_("To site"),
        queryset=Site.objects.none(),
        help_text=_("Any workshop of the network; the stock arrives when they receive it."),
    )
    carrier = forms.CharField(
        label=_("Carrier"), max_length=120, required=False, help_text=_("e.g. cargo bike, van")
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(
        self, *args: Any, locations: QuerySet[Location], sites: QuerySet[Site], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()
        self.fields["from_location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["to_site"].queryset = sites  # type: ignore[attr-defined]


class ShipLineForm(forms.Form):
    lot = forms.CharField(
        label=_("Lot code"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "lot-codes", "autocomplete": "off"}),
    )
    quantity = _quantity(_("Quantity (lot unit)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lot, quantity = data.get("lot", "").strip(), data.get("quantity")
        if lot and quantity is None:
            self.add_error("quantity", _("How much of this lot?"))
        elif quantity is not None and not lot:
            self.add_error("lot", _("Which lot?"))
        elif quantity is not None:
            _positive_or_error(self, quantity)
        data["lot"] = lot
        return data


def _positive_or_error(form: forms.Form, quantity: Decimal) -> None:
    try:
        _positive(quantity)
    except ValidationError as exc:
        form.add_error("quantity", exc)


class BaseShipLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        lots = [f.cleaned_data["lot"] for f in self.forms if f.cleaned_data.get("lot")]
        if not lots:
            raise ValidationError(_("Add at least one lot."), code="empty_transfer")
        if len(lots) != len(set(lots)):
            raise ValidationError(_("A lot appears on two lines."), code="duplicate_lot")


ShipLineFormSet = forms.formset_factory(
    ShipLineForm, formset=BaseShipLineFormSet, extra=0, min_num=1, max_num=MAX_LINES
)


class TransferReceiveForm(PlatformForm):
    """The receiving site counts each line; a difference needs (or gets) a note."""

    location = LocationChoiceField(
        label=_("Received into"), queryset=Location.objects.none(), empty_label=None
    )

    def __init__(
        self, *args: Any, locations: QuerySet[Location], lines: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.lines = lines
        for line in lines:
            symbol = UNIT_SYMBOLS.get(line.lot.unit, line.lot.unit)
            self.fields[f"count_{line.pk}"] = LenientDecimalField(
                places=3,
                max_digits=14,
                min_value=0,
                label=_("Counted (%(unit)s)") % {"unit": symbol},
                initial=line.quantity,
            )
            self.fields[f"note_{line.pk}"] = forms.CharField(
                label=_("Discrepancy"), max_length=300, required=False
            )

    def line_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(line, self[f"count_{line.pk}"], self[f"note_{line.pk}"]) for line in self.lines]

    def counts(self) -> dict[int, Decimal]:
        return {line.pk: self.cleaned_data[f"count_{line.pk}"] for line in self.lines}

    def notes(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data.get(f"note_{line.pk}", "") for line in self.lines}


def owner_choices(pools: list[StockPool]) -> list[Any]:
    """Who a received lot belongs to: the receiving organisation, or a pool it is a member of
    (the lot then belongs to the pool's custodian on behalf of its members)."""
    choices: list[Any] = [("", _("The receiving organisation"))]
    if pools:
        choices.append(
            (
                _("Stock pools"),
                [(f"pool-{p.pk}", f"{p.name} ({p.organization.name})") for p in pools],
            )
        )
    return choices
