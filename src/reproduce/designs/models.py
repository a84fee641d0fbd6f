"""The designs library: designs, their versions, files, BOM, routing, SOPs and QC criteria.

A *design* (a product, a component, a machine plan or a tool) belongs to one organisation and
is documented in *versions*. A version moves through an explicit state machine
(:class:`VersionState`): a draft is edited, a released version is immutable, an obsolete one is
kept for the record. Everything that documents a version (files, BOM lines, operations, SOP
steps, QC criteria, DFM answers) hangs from it, so "released means frozen" is checked in one
place (:func:`reproduce.designs.services.editable_version`).

Who sees a design: its ``visibility`` (public, network, private, named organisations) plus
its explicit shares (:class:`DesignShare`). People outside the owning organisation see only
released and obsolete versions, and never the files marked internal.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reproduce.core.tenancy import OrgScopedModel
from reproduce.network.models import Material, Process, ToleranceClass

if TYPE_CHECKING:
    from reproduce.core.actor import Actor


class DesignKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    COMPONENT = "component", _("Component")
    MACHINE = "machine", _("Machine plan")
    TOOL = "tool", _("Tool or jig")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public: anyone, also without an account")
    NETWORK = "network", _("Network: every member of the network")
    NAMED = "named", _("Named organisations only")
    PRIVATE = "private", _("Private: my organisation only")


class License(models.TextChoices):
    """SPDX identifiers of the licences the library offers (open hardware first)."""

    CERN_OHL_S = "CERN-OHL-S-2.0", _("CERN Open Hardware Licence v2 – Strongly Reciprocal")
    CERN_OHL_W = "CERN-OHL-W-2.0", _("CERN Open Hardware Licence v2 – Weakly Reciprocal")
    CERN_OHL_P = "CERN-OHL-P-2.0", _("CERN Open Hardware Licence v2 – Permissive")
    CC_BY_SA = "CC-BY-SA-4.0", _("Creative Commons Attribution-ShareAlike 4.0")
    CC_BY = "CC-BY-4.0", _("Creative Commons Attribution 4.0")
    CC0 = "CC0-1.0", _("Creative Commons Zero (public domain)")
    GPL3 = "GPL-3.0-or-later", _("GNU General Public License v3 or later")
    MIT = "MIT", _("MIT licence")
    TAPR = "TAPR-OHL-1.0", _("TAPR Open Hardware License")
    PROPRIETARY = "LicenseRef-AllRightsReserved", _("All rights reserved (not open)")


# Licences whose derivatives must carry the same licence.
RECIPROCAL_LICENSES = frozenset({License.CERN_OHL_S, License.CC_BY_SA, License.GPL3})
OPEN_LICENSES = frozenset(License.values) - {License.PROPRIETARY}


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RELEASED = "released", _("Released")
    OBSOLETE = "obsolete", _("Obsolete")


# The state machine: which transitions exist (checked by services.transition).
VERSION_TRANSITIONS: dict[str, frozenset[str]] = {
    VersionState.DRAFT: frozenset({VersionState.RELEASED}),
    VersionState.RELEASED: frozenset({VersionState.OBSOLETE}),
    VersionState.OBSOLETE: frozenset(),
}


class Unit(models.TextChoices):
    """UN/ECE Recommendation 20 unit codes used in bills of materials."""

    PIECE = "C62", _("piece")
    SET = "SET", _("set")
    PAIR = "PR", _("pair")
    KILOGRAM = "KGM", _("kilogram")
    GRAM = "GRM", _("gram")
    METRE = "MTR", _("metre")
    MILLIMETRE = "MMT", _("millimetre")
    SQUARE_METRE = "MTK", _("square metre")
    LITRE = "LTR", _("litre")
    MILLILITRE = "MLT", _("millilitre")
    CUBIC_METRE = "MTQ", _("cubic metre")


UNIT_SYMBOLS = {
    "C62": "pc",
    "SET": "set",
    "PR": "pr",
    "KGM": "kg",
    "GRM": "g",
    "MTR": "m",
    "MMT": "mm",
    "MTK": "m²",
    "LTR": "l",
    "MLT": "ml",
    "MTQ": "m³",
}


class Design(OrgScopedModel):
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="designs",
        verbose_name=_("owner"),
    )
    slug = models.SlugField(_("address"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=12, choices=DesignKind.choices)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    license = models.CharField(
        _("licence"), max_length=40, choices=License.choices, default=License.CERN_OHL_S
    )
    licensor = models.CharField(
        _("licensor"),
        max_length=200,
        help_text=_("Who grants the licence: a person or organisation, as it should be credited."),
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    forked_from = models.ForeignKey(
        "DesignVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forks",
        verbose_name=_("derivative of"),
    )
    # Attribution survives even if the original is deleted or hidden later.
    attribution = models.CharField(_("attribution"), max_length=400, blank=True)
    repository_url = models.URLField(_("source repository"), blank=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("design")
        verbose_name_plural = _("designs")
        ordering = ["name"]
        indexes = [models.Index(fields=["visibility", "kind"])]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        q = Q(visibility=Visibility.PUBLIC)
        if actor.is_network_member:
            q |= Q(visibility=Visibility.NETWORK)
        if actor.organization_ids:
            orgs = list(actor.organization_ids)
            q |= Q(organization__in=orgs)
            q |= Q(
                pk__in=DesignShare.objects.unscoped("share rows name the actor's organisations")
                .filter(organization__in=orgs)
                .values("design_id")
            )
        return q

    @property
    def is_open(self) -> bool:
        return self.license in OPEN_LICENSES


class DesignShare(OrgScopedModel):
    """A design shared with one organisation (named sharing, or work dispatched to it)."""

    organization_path = "design__organization"

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="shares")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="designs_shared_with"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("design share")
        constraints = [
            models.UniqueConstraint(fields=["design", "organization"], name="design_share_once")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        orgs = list(actor.organization_ids)
        return Q(design__organization__in=orgs) | Q(organization__in=orgs)


version_number_validator = RegexValidator(
    r"^\d{1,4}\.\d{1,4}(\.\d{1,4})?$", _("Use a version number like 1.0 or 2.1.3.")
)


class DesignVersion(OrgScopedModel):
    organization_path = "design__organization"

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="versions")
    number = models.CharField(
        _("version"), max_length=14, validators=[version_number_validator], default="0.1"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=VersionState.choices, default=VersionState.DRAFT
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous version"),
    )
    change_note = models.TextField(
        _("change note"),
        blank=True,
        help_text=_("What changed since the previous version, and why."),
    )
    # What Annex B.1 asks beyond BOM, routing and files.
    function = models.TextField(_("function"), blank=True)
    material_notes = models.TextField(
        _("material specifications"),
        blank=True,
        help_text=_("Exact grades, standards or certifications required, approved suppliers."),
    )
    manufacturing_notes = models.TextField(
        _("manufacturing requirements"),
        blank=True,
        help_text=_("Critical parameters and general tolerances (e.g. ISO 2768-m)."),
    )
    general_tolerance = models.CharField(
        _("general tolerance (ISO 2768-1)"),
        max_length=1,
        choices=ToleranceClass.choices,
        blank=True,
    )
    finishing_notes = models.TextField(_("finishing requirements"), blank=True)
    packaging_notes = models.TextField(_("packaging and shipping"), blank=True)
    assembly_not_applicable = models.BooleanField(
        _("no assembly needed"), default=False, help_text=_("The item is a single part.")
    )
    finishing_not_applicable = models.BooleanField(_("no finishing needed"), default=False)
    model_3d_not_applicable = models.BooleanField(
        _("no 3D model needed"),
        default=False,
        help_text=_("A flat or textile product: its 2D patterns are its design files."),
    )
    # Options a customer chooses when ordering (see designs/configurator.py); empty when the
    # design is not configurable.
    configurator = models.JSONField(_("order options"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("design version")
        verbose_name_plural = _("design versions")
        ordering = ["design", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["design", "number"], name="design_version_number_once"),
            # At most one draft per design: changes always go to the one open draft.
            models.UniqueConstraint(
                fields=["design"], condition=Q(state="draft"), name="design_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.design.name} {self.number}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        own = Q(design__organization__in=list(actor.organization_ids))
        published = ~Q(state=VersionState.DRAFT) & Q(
            design__in=Design.objects.visible_to(actor).values("pk")
        )
        return own | published

    @property
    def is_editable(self) -> bool:
        return self.state == VersionState.DRAFT

    @property
    def number_key(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.number.split("."))


class FileRole(models.TextChoices):
    CAD_NATIVE = "cad_native", _("CAD source (native format)")
    CAD_EXCHANGE = "cad_exchange", _("3D model (exchange format: STEP, STL, 3MF)")
    DRAWING = "drawing", _("2D drawing or cutting file (PDF, DXF, SVG)")
    IMAGE = "image", _("Photo or illustration")
    INSTRUCTIONS = "instructions", _("Instructions or manual")
    ARCHIVE = "archive", _("Archive of files")
    OTHER = "other", _("Other document")


class DesignFile(OrgScopedModel):
    """A file attached to a version; the bytes live once in a content-addressed Blob."""

    organization_path = "version__design__organization"

    version = models.ForeignKey(DesignVersion, on_delete=models.CASCADE, related_name="files")
    blob = models.ForeignKey("files.Blob", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file name"), max_length=200)
    role = models.CharField(_("role"), max_length=14, choices=FileRole.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_internal = models.BooleanField(
        _("internal"),
        default=False,
        help_text=_("Only your organisation sees this file (e.g. native sources you keep)."),
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("design file")
        ordering = ["position", "filename"]
        constraints = [
            models.UniqueConstraint(fields=["version", "filename"], name="design_file_name_once")
        ]

    def __str__(self) -> str:
        return self.filename

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        own = Q(version__design__organization__in=list(actor.organization_ids))
        shared = Q(is_internal=False) & Q(
            version__in=DesignVersion.objects.visible_to(actor).values("pk")
        )
        return own | shared


class ItemKind(models.TextChoices):
    MATERIAL = "material", _("Material")
    PART = "part", _("Bought part")
    DESIGN = "design", _("Sub-design from the library")


class Item(OrgScopedModel):
    """Something a BOM line needs: a material, a bought part, or another design."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    name = models.CharField(_("name"), max_length=200)
    material = models.ForeignKey(
        Material,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("material (taxonomy)"),
    )
    design = models.ForeignKey(
        Design,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="used_as_items",
        verbose_name=_("design"),
    )
    specification = models.CharField(
        _("specification"),
        max_length=300,
        blank=True,
        help_text=_("Grade, colour, treatment, standard: what makes it the right one."),
    )
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    supplier_reference = models.CharField(_("supplier reference"), max_length=100, blank=True)
    default_unit = models.CharField(
        _("unit"), max_length=3, choices=Unit.choices, default=Unit.PIECE
    )
    is_recycled = models.BooleanField(_("recycled or recovered"), default=False)

    class Meta:
        verbose_name = _("item")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="design") | Q(design__isnull=False), name="item_design_set"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BomLine(OrgScopedModel):
    organization_path = "version__design__organization"

    version = models.ForeignKey(DesignVersion, on_delete=models.CASCADE, related_name="bom_lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="bom_lines")
    # For a sub-design: the released version this BOM is built with.
    component_version = models.ForeignKey(
        DesignVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="used_in_lines",
        verbose_name=_("component version"),
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, default=Unit.PIECE)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("BOM line")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.item}"


class OperationKind(models.TextChoices):
    FABRICATION = "fabrication", _("Fabrication")
    ASSEMBLY = "assembly", _("Assembly")
    FINISHING = "finishing", _("Finishing")
    INSPECTION = "inspection", _("Inspection")
    PACKAGING = "packaging", _("Packaging")


class Operation(OrgScopedModel):
    """One step of the routing; a work order per operation is what the network dispatches."""

    organization_path = "version__design__organization"

    version = models.ForeignKey(DesignVersion, on_delete=models.CASCADE, related_name="operations")
    # Same lineage across versions: the comparison matches operations by it.
    lineage = models.UUIDField(default=uuid.uuid4, editable=False)
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(
        _("kind"), max_length=12, choices=OperationKind.choices, default=OperationKind.FABRICATION
    )
    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    material = models.ForeignKey(
        Material, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    min_x_mm = models.PositiveIntegerField(_("part size X (mm)"), null=True, blank=True)
    min_y_mm = models.PositiveIntegerField(_("part size Y (mm)"), null=True, blank=True)
    min_z_mm = models.PositiveIntegerField(_("part size Z (mm)"), null=True, blank=True)
    thickness_mm = models.DecimalField(
        _("material thickness (mm)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    tolerance_class = models.CharField(
        _("tolerance class (ISO 2768-1)"),
        max_length=1,
        choices=ToleranceClass.choices,
        blank=True,
    )
    min_power_w = models.PositiveIntegerField(_("minimum power (W)"), null=True, blank=True)
    parameters = models.TextField(
        _("critical parameters"),
        blank=True,
        help_text=_("E.g. infill 40 %, laser 60 % at 20 mm/s."),
    )
    setup_minutes = models.DecimalField(
        _("setup time (min)"), max_digits=8, decimal_places=2, default=Decimal(0)
    )
    unit_minutes = models.DecimalField(
        _("time per unit (min)"), max_digits=8, decimal_places=2, default=Decimal(0)
    )
    needs_trained_operator = models.BooleanField(_("needs a trained operator"), default=False)
    certification = models.CharField(
        _("certification required"),
        max_length=100,
        blank=True,
        help_text=_("A site must hold it to be offered this operation, e.g. EN 1090-2."),
    )

    class Meta:
        verbose_name = _("operation")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class SopStep(OrgScopedModel):
    organization_path = "operation__version__design__organization"

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(_("instruction"))  # sanitised HTML (core.sanitize.clean_html)
    image = models.ForeignKey(
        DesignFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    caution = models.CharField(_("safety note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("SOP step")
        ordering = ["position", "pk"]


class QcCriterion(OrgScopedModel):
    """A check with its acceptance rule; ``operation`` empty means the final inspection."""

    organization_path = "version__design__organization"

    version = models.ForeignKey(DesignVersion, on_delete=models.CASCADE, related_name="qc_criteria")
    operation = models.ForeignKey(
        Operation, on_delete=models.CASCADE, null=True, blank=True, related_name="qc_criteria"
    )
    lineage = models.UUIDField(default=uuid.uuid4, editable=False)
    position = models.PositiveIntegerField(default=0)
    characteristic = models.CharField(_("what is checked"), max_length=200)
    method = models.CharField(_("method or instrument"), max_length=200, blank=True)
    nominal = models.DecimalField(
        _("nominal value"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    tolerance_minus = models.DecimalField(
        _("lower tolerance"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    tolerance_plus = models.DecimalField(
        _("upper tolerance"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    acceptance = models.CharField(
        _("acceptance criterion"),
        max_length=300,
        blank=True,
        help_text=_("For visual checks: what is accepted and what is rejected."),
    )

    class Meta:
        verbose_name = _("QC criterion")
        verbose_name_plural = _("QC criteria")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.characteristic

    @property
    def limits(self) -> tuple[Decimal, Decimal] | None:
        if self.nominal is None or self.tolerance_minus is None or self.tolerance_plus is None:
            return None
        return self.nominal - abs(self.tolerance_minus), self.nominal + abs(self.tolerance_plus)


class DfmAnswer(OrgScopedModel):
    """One answered question of the DFM checklist (Annex A.1) for a version."""

    organization_path = "version__design__organization"

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        NOT_APPLICABLE = "na", _("Not applicable")

    version = models.ForeignKey(DesignVersion, on_delete=models.CASCADE, related_name="dfm_answers")
    question = models.CharField(max_length=40)
    answer = models.CharField(_("answer"), max_length=3, choices=Answer.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("DFM answer")
        constraints = [
            models.UniqueConstraint(fields=["version", "question"], name="dfm_answer_once")
        ]


class BuildReport(OrgScopedModel):
    """A maker's record of having built a design ("made at site X, date, photos, deviations")."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="build_reports"
    )
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="build_reports")
    version = models.ForeignKey(
        DesignVersion, on_delete=models.PROTECT, related_name="build_reports"
    )
    site = models.ForeignKey(
        "network.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    built_on = models.DateField(_("built on"))
    quantity = models.PositiveIntegerField(_("quantity built"), default=1)
    deviations = models.TextField(
        _("deviations"),
        blank=True,
        help_text=_("What you changed or found different from the plan."),
    )
    notes = models.TextField(_("notes"), blank=True)
    photos = models.ManyToManyField("files.Blob", blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("build report")
        ordering = ["-built_on", "-pk"]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        # A build report is as visible as the design it reproduces.
        return Q(organization__in=list(actor.organization_ids)) | Q(
            design__in=Design.objects.visible_to(actor).values("pk")
        )
