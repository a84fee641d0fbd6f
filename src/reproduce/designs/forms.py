"""Forms of the designs library's editing pages.

Forms validate and shape what a person typed; the writes go through ``designs.services``.
Every choice of an organisation-owned object (the owning organisation, an item, a site, an
image of the version, an operation) is built from what the acting person may use, so a forged
id in a POST is a form error, never a foreign write.

Creating forms carry a one-time ``form_token`` (see ``OneTimeTokenMixin``): the view records
it, so a double click or a re-sent POST does not create twice.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.forms import (
    CheckboxGroups,
    LenientDecimalField,
    PlatformForm,
    PlatformModelForm,
)
from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor
from reproduce.designs.dfm import QUESTIONS, SECTIONS
from reproduce.designs.models import (
    BomLine,
    Design,
    DesignFile,
    DesignVersion,
    DfmAnswer,
    FileRole,
    Item,
    ItemKind,
    License,
    Operation,
    QcCriterion,
    Unit,
    VersionState,
    Visibility,
    version_number_validator,
)
from reproduce.designs.services import FILE_KINDS_BY_ROLE, OPERATION_FIELDS, VERSION_FIELDS
from reproduce.files.models import IMAGE_KINDS, Kind
from reproduce.network.manage_forms import (
    TaxonomyChoiceMixin,
    material_groups,
    organizations_where,
    process_groups,
)
from reproduce.network.models import Material, Process, Site

TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")
RICH_TEXT_HELP = _("Simple formatting is kept (bold, lists, links); anything else is removed.")


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OneTimeTokenMixin:
    """A hidden one-time token: the view runs a creating action once per token.

    A form sent without a (well-formed) token still works, without the protection; browsers
    always send the one rendered with the page.
    """

    def add_token(self) -> None:
        form: Any = self
        form.fields["form_token"] = forms.CharField(
            widget=forms.HiddenInput, required=False, max_length=64
        )
        if not form.is_bound:
            form.initial["form_token"] = uuid.uuid4().hex

    def clean_form_token(self) -> str:
        form: Any = self
        value = (form.cleaned_data.get("form_token") or "").strip().lower()
        return value if TOKEN_PATTERN.match(value) else ""


def _organization_field(actor: Actor, perm: str, label: Any) -> forms.ModelChoiceField:
    """The actor's organisations in which they hold ``perm``; preselects the active one."""
    ids = organizations_where(actor, perm)
    field = forms.ModelChoiceField(
        label=label,
        queryset=Organization.objects.filter(pk__in=ids, is_active=True).order_by("name"),
        empty_label=None,
        initial=actor.active_organization_id
        if actor.active_organization_id in ids
        else next(iter(ids), None),
    )
    if len(ids) == 1:
        field.widget = forms.HiddenInput()
    return field


def released_designs(actor: Actor) -> QuerySet[Design]:
    """Designs the actor sees that have a released version (to build, fork or use in a BOM)."""
    released = DesignVersion.objects.unscoped("existence test under a visible design").filter(
        design=OuterRef("pk"), state=VersionState.RELEASED
    )
    return (
        Design.objects.visible_to(actor)
        .filter(Exists(released))
        .select_related("organization")
        .order_by("name")
    )


def latest_released_pk(versions: QuerySet[DesignVersion]) -> int | None:
    """The version to preselect: the newest released one (else the newest obsolete one)."""
    chosen = versions.filter(state=VersionState.RELEASED).first() or versions.first()
    return chosen.pk if chosen is not None else None


def _design_label(design: Design) -> str:
    return f"{design.name} \u2013 {design.organization.name}"


# ---------------------------------------------------------------- designs


class DesignForm(OneTimeTokenMixin, PlatformModelForm):
    """A design's identity, licence and visibility. On creation the owner is chosen among the
    actor's organisations where they may edit designs."""

    organization = forms.ModelChoiceField(
        label=_("Owner"), queryset=Organization.objects.none(), empty_label=None
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=600,
        help_text=_("Words separated by commas, e.g. furniture, plywood, outdoor."),
    )
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        initial=Visibility.PRIVATE,
        help_text=_(
            "Outside your organisation, people only ever see released versions and never the "
            "files marked internal."
        ),
    )
    shared_with = forms.ModelMultipleChoiceField(
        label=_("Organisations named"),
        queryset=Organization.objects.none(),
        required=False,
        widget=CheckboxGroups,
        help_text=_("Used when you choose “Named organisations only”."),
    )

    fieldsets = [
        (_("Design"), ["organization", "name", "kind", "summary", "description", "tags"]),
        (_("Licence"), ["license", "licensor", "repository_url"]),
        (_("Visibility"), ["visibility", "shared_with"]),
    ]

    class Meta:
        model = Design
        fields = [
            "name",
            "kind",
            "summary",
            "description",
            "license",
            "licensor",
            "repository_url",
        ]
        widgets = {"description": _textarea(6)}
        help_texts = {
            "summary": _("One sentence: what it is and what it is for."),
            "description": RICH_TEXT_HELP,
            "license": _(
                "Open hardware licences let others build, change and share the design. "
                "CERN-OHL-S, CC-BY-SA and GPL are reciprocal: derivatives keep the same licence."
            ),
            "repository_url": _("Optional: where the sources are kept (Git repository…)."),
        }

    def __init__(
        self,
        *args: Any,
        actor: Actor,
        creating: bool,
        others: QuerySet[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["licensor"].required = not creating
        if creating:
            self.fields["organization"] = _organization_field(actor, "design.edit", _("Owner"))
            self.fields["licensor"].help_text = _(
                "Who grants the licence, as it should be credited. Empty: the owner organisation."
            )
            self.add_token()
        else:
            del self.fields["organization"]
            self.initial["tags"] = ", ".join(self.instance.tags or [])
        shared = self.fields["shared_with"]
        shared.queryset = others  # type: ignore[attr-defined]
        shared.label_from_instance = lambda o: o.name  # type: ignore[attr-defined]

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [t.strip() for t in raw.split(",") if t.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("visibility") == Visibility.NAMED and not data.get("shared_with"):
            self.add_error(
                "shared_with",
                ValidationError(
                    _("Name at least one organisation, or choose another visibility."),
                    code="no_organisation_named",
                ),
            )
        return data

    def design_values(self) -> dict[str, Any]:
        skip = {"organization", "visibility", "shared_with", "form_token"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


# ---------------------------------------------------------------- versions


def _check_number_free(design: Design, number: str, exclude_pk: int | None = None) -> None:
    taken = design.versions.filter(number=number)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(
            _("Version %(number)s already exists for this design: choose another number."),
            code="version_number",
            params={"number": number},
        )


class VersionForm(PlatformModelForm):
    """What a draft documents beyond its files, BOM and routing (Annex B.1)."""

    fieldsets = [
        (_("Version"), ["number", "change_note"]),
        (_("Function and materials"), ["function", "material_notes"]),
        (
            _("Manufacturing"),
            ["manufacturing_notes", "general_tolerance", "assembly_not_applicable"],
        ),
        (
            _("Finishing and packaging"),
            ["finishing_notes", "finishing_not_applicable", "packaging_notes"],
        ),
    ]

    class Meta:
        model = DesignVersion
        fields = ["number", *(f for f in VERSION_FIELDS if f != "configurator")]
        widgets = {
            name: _textarea(4)
            for name in (
                "function",
                "material_notes",
                "manufacturing_notes",
                "finishing_notes",
                "packaging_notes",
                "change_note",
            )
        }
        help_texts = {
            "number": _("Like 1.0 or 2.1.3. You can still change it when you release."),
            "function": _("What the product does and in which conditions it is used."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs.update(inputmode="decimal", autocomplete="off")
        self.fields["general_tolerance"].help_text = _(
            "Applies to every dimension without its own tolerance: f fine, m medium, "
            "c coarse, v very coarse."
        )

    def clean_number(self) -> str:
        number = (self.cleaned_data.get("number") or "").strip()
        _check_number_free(self.instance.design, number, exclude_pk=self.instance.pk)
        return number

    def version_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class DraftStartForm(OneTimeTokenMixin, PlatformForm):
    number = forms.CharField(
        label=_("Number of the new version"),
        max_length=14,
        validators=[version_number_validator],
        help_text=_("Suggested from the latest version; you can still change it when you release."),
    )
    change_note = forms.CharField(
        label=_("Change note"),
        required=False,
        widget=_textarea(4),
        help_text=_(
            "What you are going to change, and why. Required before releasing; you can "
            "complete it while editing."
        ),
    )

    def __init__(self, *args: Any, design: Design, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.design = design
        self.fields["number"].widget.attrs.update(inputmode="decimal", autocomplete="off")
        self.add_token()

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        _check_number_free(self.design, number)
        return number


class ConfirmForm(PlatformForm):
    """A confirmation: an empty POST (without the button's value) changes nothing."""

    confirm = forms.BooleanField(
        widget=forms.HiddenInput,
        error_messages={"required": _("Confirm with the button below.")},
    )


class ReleaseForm(PlatformForm):
    number = forms.CharField(
        label=_("Number to release"),
        max_length=14,
        validators=[version_number_validator],
        help_text=_("Like 1.0 or 2.1.3; it must be greater than the previous version."),
    )
    change_note = forms.CharField(
        label=_("Change note"),
        required=False,
        widget=_textarea(4),
        help_text=_("What changed since the previous version, and why."),
    )

    def __init__(self, *args: Any, version: DesignVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        self.fields["number"].widget.attrs.update(inputmode="decimal", autocomplete="off")
        if version.previous_id is not None:
            self.fields["change_note"].required = True
            self.fields["change_note"].error_messages["required"] = _(
                "Write a change note: what changed since the previous version, and why."
            )
        else:
            self.fields["change_note"].help_text = _("Optional for a first version.")

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        _check_number_free(self.version.design, number, exclude_pk=self.version.pk)
        return number


# ---------------------------------------------------------------- files


class FileAddForm(OneTimeTokenMixin, PlatformForm):
    upload = forms.FileField(
        label=_("File"),
        help_text=_(
            "CAD sources, STEP/STL/3MF models, PDF/DXF/SVG drawings, photos (PNG, JPEG, WebP), "
            "ZIP archives. The content must match the file name's extension."
        ),
        error_messages={"required": _("Choose the file to upload.")},
    )
    role = forms.ChoiceField(label=_("What it is"), choices=FileRole.choices)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    is_internal = forms.BooleanField(
        label=_("Internal: only my organisation sees this file"),
        required=False,
        help_text=_("For example native sources you keep for yourselves."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()


class FileEditForm(PlatformModelForm):
    class Meta:
        model = DesignFile
        fields = ["role", "description", "is_internal"]
        labels = {
            "role": _("What it is"),
            "is_internal": _("Internal: only my organisation sees this file"),
        }

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        allowed = FILE_KINDS_BY_ROLE.get(role)
        kind = self.instance.blob.kind
        if allowed is not None and kind not in allowed:
            raise ValidationError(
                _("This file is a %(kind)s: it cannot be used as “%(role)s”."),
                code="role_mismatch",
                params={"kind": Kind(kind).label, "role": FileRole(role).label},
            )
        return str(role)


# ---------------------------------------------------------------- BOM


class ItemSource:
    EXISTING = "existing"
    MATERIAL = ItemKind.MATERIAL.value
    PART = ItemKind.PART.value
    DESIGN = ItemKind.DESIGN.value

    CHOICES = [
        (EXISTING, _("An item already used by my organisation")),
        (MATERIAL, _("A new material")),
        (PART, _("A new bought part")),
        (DESIGN, _("A design of the library (sub-assembly)")),
    ]


def _item_groups(items: Iterable[Item]) -> list[tuple[str, list[tuple[int, str]]]]:
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for item in items:
        label = item.name + (f" ({item.specification})" if item.specification else "")
        groups[item.kind].append((item.pk, label))
    labels = dict(ItemKind.choices)
    return [(str(labels[k]), groups[k]) for k in ItemKind.values if groups.get(k)]


class QuantityMixin:
    def _quantity_fields(self) -> None:
        form: Any = self
        form.fields["quantity"] = LenientDecimalField(
            label=_("Quantity"),
            places=4,
            min_value=Decimal("0.0001"),
            help_text=_("For one unit of the product; a comma or a point for decimals."),
        )
        form.fields["unit"] = forms.ChoiceField(
            label=_("Unit"),
            choices=[("", _("The item's usual unit")), *Unit.choices],
            required=False,
        )


class BomLineAddForm(OneTimeTokenMixin, QuantityMixin, TaxonomyChoiceMixin, PlatformForm):
    """A BOM line: an existing item, or a new material, bought part or library design."""

    source = forms.ChoiceField(
        label=_("What the line needs"),
        choices=ItemSource.CHOICES,
        widget=forms.RadioSelect,
        initial=ItemSource.EXISTING,
    )
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none(), required=False)
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("For a new material or part, e.g. “Birch plywood 18 mm”, “M6×30 bolt”."),
    )
    material = forms.ModelChoiceField(
        label=_("Material (taxonomy)"), queryset=Material.objects.all(), required=False
    )
    specification = forms.CharField(
        label=_("Specification"),
        max_length=300,
        required=False,
        help_text=_("Grade, colour, treatment, standard: what makes it the right one."),
    )
    supplier = forms.CharField(label=_("Supplier"), max_length=200, required=False)
    supplier_reference = forms.CharField(
        label=_("Supplier reference"), max_length=100, required=False
    )
    is_recycled = forms.BooleanField(label=_("Recycled or recovered"), required=False)
    design = forms.ModelChoiceField(
        label=_("Design of the library"),
        queryset=Design.objects.none(),
        required=False,
        help_text=_("Designs you may see that have a released version; the latest one is used."),
    )
    reference = forms.CharField(
        label=_("Reference on the drawing"),
        max_length=40,
        required=False,
        help_text=_("Optional, e.g. “P3” or “left side panel”."),
    )
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    fieldsets = [
        ("", ["source"]),
        (_("An item already used by my organisation"), ["item"]),
        (
            _("A new material or bought part"),
            ["name", "material", "specification", "supplier", "supplier_reference", "is_recycled"],
        ),
        (_("A design of the library"), ["design"]),
        (_("Quantity"), ["quantity", "unit", "reference", "notes"]),
    ]

    def __init__(self, *args: Any, actor: Actor, version: DesignVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()
        self._quantity_fields()
        items = Item.objects.owned_by(version.design.organization_id).order_by("name")
        self.fields["item"].queryset = items  # type: ignore[attr-defined]
        self.fields["item"].choices = [("", "—"), *_item_groups(items)]  # type: ignore[attr-defined]
        self._set_grouped("material", material_groups(Material.objects.all()), blank=True)
        designs = released_designs(actor).exclude(pk=version.design_id)
        self.fields["design"].queryset = designs  # type: ignore[attr-defined]
        self.fields["design"].label_from_instance = _design_label  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        needed = {
            ItemSource.EXISTING: [("item", _("Choose the item."))],
            ItemSource.MATERIAL: [("material", _("Choose the material in the list."))],
            ItemSource.PART: [("name", _("Give the name of the part."))],
            ItemSource.DESIGN: [("design", _("Choose the design."))],
        }.get(source or "", [])
        for name, message in needed:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, ValidationError(message, code="required"))
        return data

    def new_item_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        material = data.get("material")
        return {
            "kind": data["source"],
            "name": data.get("name") or (material.label if material else ""),
            "material": material,
            "specification": data.get("specification", ""),
            "supplier": data.get("supplier", ""),
            "supplier_reference": data.get("supplier_reference", ""),
            "default_unit": data.get("unit") or Unit.PIECE,
            "is_recycled": data.get("is_recycled", False),
        }


class BomLineEditForm(QuantityMixin, PlatformForm):
    component_version = forms.ModelChoiceField(
        label=_("Version of the sub-design"),
        queryset=DesignVersion.objects.none(),
        empty_label=None,
        required=False,
    )
    reference = forms.CharField(label=_("Reference on the drawing"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def __init__(self, *args: Any, actor: Actor, line: BomLine, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "quantity": line.quantity.normalize(),
                "unit": line.unit,
                "reference": line.reference,
                "notes": line.notes,
                "component_version": line.component_version_id,
            },
        )
        super().__init__(*args, **kwargs)
        self._quantity_fields()
        self.fields["unit"].choices = Unit.choices  # type: ignore[attr-defined]
        self.fields["unit"].required = True
        self.order_fields(["quantity", "unit", "component_version", "reference", "notes"])
        if line.item.kind == ItemKind.DESIGN:
            versions = (
                DesignVersion.objects.visible_to(actor)
                .filter(design_id=line.item.design_id, state=VersionState.RELEASED)
                .order_by("-released_at")
            )
            field = self.fields["component_version"]
            field.queryset = versions  # type: ignore[attr-defined]
            field.label_from_instance = lambda v: v.number  # type: ignore[attr-defined]
            field.required = True
        else:
            del self.fields["component_version"]

    def line_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


# ---------------------------------------------------------------- routing


class OperationForm(OneTimeTokenMixin, TaxonomyChoiceMixin, PlatformModelForm):
    thickness_mm = LenientDecimalField(
        label=_("Material thickness (mm)"), places=2, required=False, min_value=0
    )
    setup_minutes = LenientDecimalField(
        label=_("Setup time (min)"), places=2, required=False, min_value=0
    )
    unit_minutes = LenientDecimalField(
        label=_("Time per unit (min)"), places=2, required=False, min_value=0
    )

    fieldsets = [
        (_("Operation"), ["name", "kind", "process", "material"]),
        (
            _("Part and machine"),
            [
                "min_x_mm",
                "min_y_mm",
                "min_z_mm",
                "thickness_mm",
                "tolerance_class",
                "min_power_w",
            ],
            "grid",
        ),
        (_("How it is done"), ["parameters", "needs_trained_operator"]),
        (_("Times"), ["setup_minutes", "unit_minutes"], "grid"),
    ]

    class Meta:
        model = Operation
        fields = OPERATION_FIELDS
        labels = {"process": _("Process"), "material": _("Material")}
        widgets = {"parameters": _textarea(3)}
        help_texts = {
            "process": _("Used to find the workshops of the network that can do it."),
            "min_x_mm": _("Size of the part, to match machine beds."),
            "tolerance_class": _("Leave empty to use the version's general tolerance."),
            "min_power_w": _("For laser or spindle power."),
        }

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            self.add_token()
        self._set_grouped("process", process_groups(Process.objects.all()), blank=True)
        self._set_grouped("material", material_groups(Material.objects.all()), blank=True)

    def clean_setup_minutes(self) -> Decimal:
        return self.cleaned_data.get("setup_minutes") or Decimal(0)

    def clean_unit_minutes(self) -> Decimal:
        return self.cleaned_data.get("unit_minutes") or Decimal(0)

    def operation_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in OPERATION_FIELDS}


class MoveForm(forms.Form):
    offset = forms.TypedChoiceField(choices=[("-1", "-1"), ("1", "1")], coerce=int)


def image_files(version: DesignVersion) -> QuerySet[DesignFile]:
    return version.files.filter(blob__kind__in=list(IMAGE_KINDS)).order_by("position", "filename")


class StepForm(OneTimeTokenMixin, PlatformForm):
    text = forms.CharField(
        label=_("Instruction"),
        widget=_textarea(6),
        help_text=RICH_TEXT_HELP,
        error_messages={"required": _("Write the instruction of this step.")},
    )
    image = forms.ModelChoiceField(
        label=_("Picture"),
        queryset=DesignFile.objects.none(),
        required=False,
        empty_label=_("No picture"),
        help_text=_("An image attached to this version (add it under Files first)."),
    )
    caution = forms.CharField(
        label=_("Safety note"),
        max_length=300,
        required=False,
        help_text=_("Shown in front of the step, e.g. “Wear cut-resistant gloves”."),
    )

    def __init__(
        self, *args: Any, version: DesignVersion, creating: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            self.add_token()
        field = self.fields["image"]
        field.queryset = image_files(version)  # type: ignore[attr-defined]
        field.label_from_instance = lambda f: f.filename  # type: ignore[attr-defined]


# ---------------------------------------------------------------- QC criteria


class CriterionForm(OneTimeTokenMixin, PlatformModelForm):
    nominal = LenientDecimalField(label=_("Nominal value"), places=4, required=False)
    tolerance_minus = LenientDecimalField(
        label=_("Lower tolerance"),
        places=4,
        required=False,
        help_text=_("How much below the nominal is accepted (0 for none)."),
    )
    tolerance_plus = LenientDecimalField(
        label=_("Upper tolerance"),
        places=4,
        required=False,
        help_text=_("How much above the nominal is accepted (0 for none)."),
    )

    fieldsets = [
        (_("Check"), ["operation", "characteristic", "method"]),
        (_("Measured value"), ["nominal", "tolerance_minus", "tolerance_plus", "unit"], "grid"),
        (_("Visual or go/no-go check"), ["acceptance"]),
    ]

    class Meta:
        model = QcCriterion
        fields = [
            "operation",
            "characteristic",
            "method",
            "nominal",
            "tolerance_minus",
            "tolerance_plus",
            "unit",
            "acceptance",
        ]
        labels = {"operation": _("When")}
        help_texts = {
            "characteristic": _("E.g. “Panel width”, “Seam strength”, “Surface aspect”."),
            "method": _("E.g. calliper, go/no-go gauge, visual under daylight."),
            "unit": _("E.g. mm, g, N."),
        }

    def __init__(
        self, *args: Any, version: DesignVersion, creating: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            self.add_token()
        field = self.fields["operation"]
        field.queryset = version.operations.all()  # type: ignore[attr-defined]
        field.empty_label = _("Final inspection (after all operations)")  # type: ignore[attr-defined]
        field.label_from_instance = lambda o: o.name  # type: ignore[attr-defined]
        field.help_text = _("During one operation, or the final inspection before delivery.")

    def criterion_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "form_token"}


# ---------------------------------------------------------------- DFM checklist


def dfm_field_name(code: str, what: str) -> str:
    return f"{what}_{code.replace('.', '__')}"


class DfmForm(PlatformForm):
    """The 18 questions of Annex A.1: yes / no / not applicable and a comment for each."""

    def __init__(self, *args: Any, answers: dict[str, DfmAnswer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for q in QUESTIONS:
            given = answers.get(q.code)
            self.fields[dfm_field_name(q.code, "answer")] = forms.ChoiceField(
                label=str(q.text),
                choices=DfmAnswer.Answer.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=given.answer if given else None,
            )
            self.fields[dfm_field_name(q.code, "comment")] = forms.CharField(
                label=_("Comment"),
                max_length=500,
                required=False,
                initial=given.comment if given else "",
            )

    def sections(self) -> list[tuple[Any, list[tuple[forms.BoundField, forms.BoundField]]]]:
        rows: dict[str, list[tuple[forms.BoundField, forms.BoundField]]] = defaultdict(list)
        for q in QUESTIONS:
            rows[q.section].append(
                (self[dfm_field_name(q.code, "answer")], self[dfm_field_name(q.code, "comment")])
            )
        return [(title, rows[code]) for code, title in SECTIONS.items()]

    def invalid_fields(self) -> list[forms.BoundField]:
        """The questions whose answer has an error (only answers can have one)."""
        return [self[name] for name in self.errors if name in self.fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        answered = 0
        for q in QUESTIONS:
            answer = data.get(dfm_field_name(q.code, "answer"))
            comment_name = dfm_field_name(q.code, "comment")
            if answer:
                answered += 1
            elif data.get(comment_name):
                self.add_error(
                    dfm_field_name(q.code, "answer"),
                    ValidationError(_("Choose an answer for this comment."), code="answer_missing"),
                )
        if not answered and not self.errors:
            raise ValidationError(_("Answer at least one question."), code="nothing_answered")
        return data

    def answers(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        result = {}
        for q in QUESTIONS:
            answer = data.get(dfm_field_name(q.code, "answer"))
            if answer:
                result[q.code] = (answer, data.get(dfm_field_name(q.code, "comment"), ""))
        return result


# ---------------------------------------------------------------- forks and builds


class ForkForm(OneTimeTokenMixin, PlatformForm):
    version = forms.ModelChoiceField(
        label=_("Version to derive from"), queryset=DesignVersion.objects.none(), empty_label=None
    )
    organization = forms.ModelChoiceField(
        label=_("Owner of the derivative"), queryset=Organization.objects.none()
    )
    name = forms.CharField(label=_("Name of the derivative"), max_length=150)
    license = forms.ChoiceField(
        label=_("Licence"),
        choices=License.choices,
        help_text=_(
            "A design under a reciprocal licence (CERN-OHL-S, CC-BY-SA, GPL) can only be "
            "derived under the same licence."
        ),
    )

    fieldsets = [(_("Derivative"), ["version", "organization", "name", "license"])]

    def __init__(
        self,
        *args: Any,
        actor: Actor,
        design: Design,
        versions: QuerySet[DesignVersion],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()
        self.fields["organization"] = _organization_field(
            actor, "design.edit", _("Owner of the derivative")
        )
        field = self.fields["version"]
        field.queryset = versions  # type: ignore[attr-defined]
        field.label_from_instance = lambda v: v.number  # type: ignore[attr-defined]
        field.initial = latest_released_pk(versions)
        self.fields["name"].initial = _("%(name)s (derivative)") % {"name": design.name}
        self.fields["license"].initial = design.license
        self.order_fields(["version", "organization", "name", "license"])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; ``clean`` returns a list (possibly empty)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:  # type: ignore[override]
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


MAX_PHOTOS = 10


class BuildReportForm(OneTimeTokenMixin, PlatformForm):
    version = forms.ModelChoiceField(
        label=_("Version built"), queryset=DesignVersion.objects.none(), empty_label=None
    )
    organization = forms.ModelChoiceField(label=_("Built by"), queryset=Organization.objects.none())
    site = forms.ModelChoiceField(
        label=_("Workshop"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("Elsewhere / not one of our sites"),
    )
    built_on = forms.DateField(label=_("Built on"), widget=_date_widget())
    quantity = forms.IntegerField(label=_("Quantity built"), min_value=1, initial=1)
    deviations = forms.CharField(
        label=_("Deviations"),
        required=False,
        widget=_textarea(4),
        help_text=_("What you changed or found different from the plan."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=_textarea(3))
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 10 photos (PNG, JPEG or WebP)."),
    )

    fieldsets = [
        (_("What was built"), ["version", "quantity", "built_on"]),
        (_("Where"), ["organization", "site"]),
        (_("Report"), ["deviations", "notes", "photos"]),
    ]

    def __init__(
        self, *args: Any, actor: Actor, versions: QuerySet[DesignVersion], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()
        self.fields["organization"] = _organization_field(actor, "build.report", _("Built by"))
        ids = organizations_where(actor, "build.report")
        site = self.fields["site"]
        site.queryset = (  # type: ignore[attr-defined]
            Site.objects.owned_by(ids)
            .select_related("organization")
            .order_by("organization__name", "name")
        )
        if len(ids) > 1:
            site.label_from_instance = lambda s: f"{s.organization.name} \u2013 {s.name}"  # type: ignore[attr-defined]
        field = self.fields["version"]
        field.queryset = versions  # type: ignore[attr-defined]
        field.label_from_instance = lambda v: v.number  # type: ignore[attr-defined]
        field.initial = latest_released_pk(versions)
        self.fields["built_on"].initial = timezone.localdate()

    def clean_built_on(self) -> Any:
        value = self.cleaned_data["built_on"]
        if value > timezone.localdate():
            raise ValidationError(_("The build date cannot be in the future."), code="future_date")
        return value

    def clean_photos(self) -> list[Any]:
        photos = self.cleaned_data.get("photos") or []
        if len(photos) > MAX_PHOTOS:
            raise ValidationError(
                _("Choose at most %(max)s photos."), code="too_many", params={"max": MAX_PHOTOS}
            )
        return photos

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        site, org = data.get("site"), data.get("organization")
        if site is not None and org is not None and site.organization_id != org.pk:
            self.add_error(
                "site",
                ValidationError(
                    _("Choose a site of %(organization)s."),
                    code="foreign_site",
                    params={"organization": org.name},
                ),
            )
        return data


# ---------------------------------------------------------------- Open Know-How import

OKH_MAX_BYTES = 1024 * 1024


class OkhImportForm(OneTimeTokenMixin, PlatformForm):
    manifest = forms.FileField(
        label=_("Manifest file (okh.toml or okh.yml)"),
        help_text=_(
            "An Open Know-How manifest: okh.toml (version 2, LOSH) or okh.yml (version 1). "
            "At most 1 MB."
        ),
        error_messages={"required": _("Choose the manifest file to import.")},
        widget=forms.ClearableFileInput(attrs={"accept": ".toml,.yml,.yaml"}),
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()
        self.fields["organization"] = _organization_field(actor, "design.edit", _("Owner"))
        self.order_fields(["manifest", "organization"])

    def clean_manifest(self) -> Any:
        upload = self.cleaned_data["manifest"]
        if upload.size > OKH_MAX_BYTES:
            raise ValidationError(
                _("The manifest is larger than 1 MB: is it the right file?"), code="too_large"
            )
        if not upload.name.lower().endswith((".toml", ".yml", ".yaml")):
            raise ValidationError(_("Choose an okh.toml or okh.yml file."), code="wrong_extension")
        return upload
