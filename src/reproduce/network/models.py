"""The network registry: processes and materials, sites, machines, skills, sharing choices.

Machines follow the Open Know-Where equipment fields (type/process, make, model, quantity,
condition, materials worked, work envelope…) plus the properties that matching needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from reproduce.core.tenancy import OrgScopedModel
from reproduce.core.text import normalize
from reproduce.core.validators import validate_in_belgium

if TYPE_CHECKING:
    from reproduce.core.actor import Actor


class TranslatedLabelMixin(models.Model):
    label_fr = models.CharField(_("label (French)"), max_length=120)
    label_nl = models.CharField(_("label (Dutch)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)
    # Accent-free labels, code and synonyms in the three languages, for the capability search.
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived from the fields above: kept in step on every save (admin and loader alike).
        self.search_text = self.compute_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        lang = (get_language() or "fr")[:2]
        return str(getattr(self, f"label_{lang}", None) or self.label_fr)

    def compute_search_text(self) -> str:
        code = getattr(self, "code", "")
        parts = [self.label_fr, self.label_nl, self.label_en, code.replace("-", " ")]
        parts += list(getattr(self, "synonyms", None) or [])
        return " " + " ".join(normalize(p) for p in parts if p) + " "


class Process(TranslatedLabelMixin):
    """A manufacturing process of the shared taxonomy (global, curated by coordinators)."""

    tenancy = "global"

    code = models.SlugField(_("code"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("broader process"),
    )
    wikipedia_url = models.URLField(_("identifier (Wikipedia URL, as in Open Know-Where)"))
    synonyms = models.JSONField(_("synonyms"), default=list, blank=True)

    class Meta:
        ordering = ["label_fr"]
        verbose_name = _("process")
        verbose_name_plural = _("processes")


class Material(TranslatedLabelMixin):
    """A material of the shared taxonomy (global)."""

    tenancy = "global"

    class Category(models.TextChoices):
        WOOD = "wood", _("Wood")
        TEXTILE = "textile", _("Textile")
        PLASTIC = "plastic", _("Plastic")
        PAPER = "paper", _("Paper and cardboard")
        METAL = "metal", _("Metal")
        COMPOSITE = "composite", _("Composite")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    wikipedia_url = models.URLField(_("identifier (Wikipedia URL, as in Open Know-Where)"))
    synonyms = models.JSONField(_("synonyms"), default=list, blank=True)

    class Meta:
        ordering = ["label_fr"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")


class Commune(models.Model):
    """One of the 19 communes of the Brussels-Capital Region (Statbel NIS code)."""

    tenancy = "global"

    nis_code = models.CharField(_("NIS code"), max_length=5, unique=True)
    name_fr = models.CharField(max_length=80)
    name_nl = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80)
    centroid_lat = models.DecimalField(max_digits=8, decimal_places=5)
    centroid_lon = models.DecimalField(max_digits=8, decimal_places=5)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        lang = (get_language() or "fr")[:2]
        return str(getattr(self, f"name_{lang}", None) or self.name_fr)


class FieldGroup(models.TextChoices):
    """Groups of an organisation's data whose audience the organisation chooses."""

    CONTACTS = "contacts", _("Contacts (e-mail, phone)")
    PRICES = "prices", _("Prices (hourly rates)")
    CAPACITY = "capacity", _("Capacity (availability, closures, machine downtime)")
    MACHINES = "machines", _("Machines")


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone, including visitors")
    NETWORK = "network", _("Members of the network")
    NAMED = "named", _("Only the organisations I name")


class SharingPolicy(OrgScopedModel):
    """Who may see one group of an organisation's fields. Members always see their own."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="sharing_policies"
    )
    group = models.CharField(_("data"), max_length=20, choices=FieldGroup.choices)
    audience = models.CharField(_("visible to"), max_length=10, choices=Audience.choices)
    shared_with = models.ManyToManyField(
        "accounts.Organization", blank=True, related_name="+", verbose_name=_("organisations named")
    )

    class Meta:
        verbose_name = _("sharing choice")
        verbose_name_plural = _("sharing choices")
        constraints = [
            models.UniqueConstraint(fields=["organization", "group"], name="sharing_unique_group")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        # Policies are read to decide visibility for everyone: the policy row itself is public.
        return Q()


# When an organisation has not chosen yet, these audiences apply.
DEFAULT_AUDIENCE = {
    FieldGroup.CONTACTS: Audience.NETWORK,
    FieldGroup.PRICES: Audience.NETWORK,
    FieldGroup.CAPACITY: Audience.NETWORK,
    FieldGroup.MACHINES: Audience.PUBLIC,
}


def group_visible_q(actor: Actor, group: str, org_path: str) -> Q:
    """Rows whose owning organisation (reached by ``org_path``) shows ``group`` to ``actor``."""
    own = Q(**{f"{org_path}__in": list(actor.organization_ids)})
    policies = SharingPolicy.objects.unscoped("visibility subquery").filter(
        organization=OuterRef(org_path), group=group
    )
    audiences = [Audience.PUBLIC] + ([Audience.NETWORK] if actor.is_network_member else [])
    chosen_open = Exists(policies.filter(audience__in=audiences))
    named = Exists(
        policies.filter(audience=Audience.NAMED, shared_with__in=list(actor.organization_ids))
    )
    no_choice = ~Exists(policies)
    default_open = DEFAULT_AUDIENCE[FieldGroup(group)] in audiences
    q = own | Q(chosen_open)
    if actor.organization_ids:
        q |= Q(named)
    if default_open:
        q |= Q(no_choice)
    return q


class Site(OrgScopedModel):
    """A physical workshop of an organisation (OKW: a facility)."""

    class AccessType(models.TextChoices):
        PUBLIC = "public", _("Open to the public")
        MEMBERSHIP = "membership", _("Members and subscribers")
        RESTRICTED = "restricted", _("On appointment")
        PRIVATE = "private", _("Private (work on order only)")

    class Wheelchair(models.TextChoices):
        YES = "yes", _("Wheelchair accessible")
        PARTIAL = "partial", _("Partly accessible")
        NO = "no", _("Not accessible")
        UNKNOWN = "unknown", _("Not stated")

    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="sites",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=10)
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sites",
        verbose_name=_("commune"),
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5)
    access_type = models.CharField(
        _("access"), max_length=12, choices=AccessType.choices, default=AccessType.RESTRICTED
    )
    wheelchair_access = models.CharField(
        _("wheelchair access"), max_length=8, choices=Wheelchair.choices, default=Wheelchair.UNKNOWN
    )
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    certifications = models.CharField(
        _("certifications"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated, e.g. ISO 9001, EN 1090-2, food contact."),
    )
    processes = models.ManyToManyField(
        Process, blank=True, related_name="sites", verbose_name=_("services offered")
    )
    is_listed = models.BooleanField(
        _("shown on the network map"),
        default=True,
        help_text=_("Unlisted sites are visible to your organisation only."),
    )
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    # Accent-free FR/NL/EN text of the site's public fields and services (not its machines,
    # which may be hidden: they carry their own search_text). Rebuilt by services.
    search_text = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.latitude is not None and self.longitude is not None:
            try:
                validate_in_belgium(self.latitude, self.longitude)
            except ValidationError as exc:
                raise ValidationError({"latitude": exc}) from exc

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        own = Q(organization__in=list(actor.organization_ids))
        return own | Q(is_listed=True, organization__is_active=True)


class OpeningHours(OrgScopedModel):
    """One opening period of a site on a weekday (several rows make split days)."""

    organization_path = "site__organization"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")),
                name="openinghours_closes_after_opens",
                violation_error_message=_("A site must close after it opens."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(site__in=Site.objects.visible_to(actor).values("pk"))


class Closure(OrgScopedModel):
    """Days a site is closed (holidays, works). Part of the 'capacity' data group."""

    organization_path = "site__organization"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="closures")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to (included)"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="closure_end_after_start",
                violation_error_message=_("A closure must end on or after its first day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date} → {self.end_date}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return group_visible_q(actor, FieldGroup.CAPACITY, "site__organization") & Q(
            site__in=Site.objects.visible_to(actor).values("pk")
        )


class ToleranceClass(models.TextChoices):
    """ISO 2768-1 general tolerance classes, from the finest."""

    FINE = "f", _("f – fine")
    MEDIUM = "m", _("m – medium")
    COARSE = "c", _("c – coarse")
    VERY_COARSE = "v", _("v – very coarse")


TOLERANCE_RANK = {"f": 0, "m": 1, "c": 2, "v": 3}


class Machine(OrgScopedModel):
    """A piece of equipment at a site (Open Know-Where "Equipment")."""

    organization_path = "site__organization"

    class Condition(models.TextChoices):
        NEW = "new", pgettext_lazy("machine condition", "New")
        GOOD = "good", _("Good")
        WORN = "worn", _("Worn")
        NEEDS_REPAIR = "needs-repair", _("Needs repair")

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="machines", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=150)
    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="machines", verbose_name=_("main process")
    )
    extra_processes = models.ManyToManyField(
        Process, blank=True, related_name="+", verbose_name=_("other processes")
    )
    materials = models.ManyToManyField(
        Material, blank=True, related_name="machines", verbose_name=_("materials worked")
    )
    make = models.CharField(_("make"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    quantity = models.PositiveSmallIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    condition = models.CharField(
        _("condition"), max_length=15, choices=Condition.choices, default=Condition.GOOD
    )
    description = models.TextField(_("description"), blank=True)
    envelope_x_mm = models.PositiveIntegerField(_("work envelope X (mm)"), null=True, blank=True)
    envelope_y_mm = models.PositiveIntegerField(_("work envelope Y (mm)"), null=True, blank=True)
    envelope_z_mm = models.PositiveIntegerField(_("work envelope Z (mm)"), null=True, blank=True)
    max_thickness_mm = models.DecimalField(
        _("maximum material thickness (mm)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    laser_power_w = models.PositiveIntegerField(_("laser power (W)"), null=True, blank=True)
    spindle_power_w = models.PositiveIntegerField(_("spindle power (W)"), null=True, blank=True)
    axes = models.PositiveSmallIntegerField(
        _("axes"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    tolerance_class = models.CharField(
        _("tolerance class (ISO 2768-1)"), max_length=1, choices=ToleranceClass.choices, blank=True
    )
    properties = models.JSONField(_("other properties"), default=dict, blank=True)
    hourly_rate = models.DecimalField(
        _("hourly rate (EUR, excl. VAT)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    requires_trained_operator = models.BooleanField(
        _("needs a trained operator"),
        default=False,
        help_text=_("Only people the workshop has checked may use it."),
    )
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    # Accent-free FR/NL/EN text of the machine and its process and materials; see reindex_site.
    search_text = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["site__name", "name"]
        verbose_name = _("machine")
        verbose_name_plural = _("machines")
        indexes = [
            models.Index(fields=["process", "envelope_x_mm", "envelope_y_mm"]),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return group_visible_q(actor, FieldGroup.MACHINES, "site__organization") & (
            Q(site__organization__in=list(actor.organization_ids))
            | Q(site__is_listed=True, site__organization__is_active=True)
        )

    def fits(self, x: int | None, y: int | None, z: int | None) -> bool:
        """Whether a part of x×y(×z) mm fits, allowing a 90° turn on the bed."""
        if x is None and y is None and z is None:
            return True
        bed = sorted([self.envelope_x_mm or 0, self.envelope_y_mm or 0])
        part = sorted([x or 0, y or 0])
        if self.envelope_x_mm is None and self.envelope_y_mm is None:
            return False
        if part[0] > bed[0] or part[1] > bed[1]:
            return False
        return not (z and self.envelope_z_mm is not None and z > self.envelope_z_mm)


class MachineUnavailability(OrgScopedModel):
    """A period when a machine cannot be used (maintenance, breakdown, reserved)."""

    organization_path = "machine__site__organization"

    class Reason(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        BREAKDOWN = "breakdown", _("Breakdown")
        RESERVED = "reserved", _("Reserved")
        OTHER = "other", _("Other")

    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="unavailabilities")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason.choices, default=Reason.MAINTENANCE
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("machine unavailability")
        verbose_name_plural = _("machine unavailabilities")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="unavailability_end_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return group_visible_q(actor, FieldGroup.CAPACITY, "machine__site__organization") & Q(
            machine__in=Machine.objects.visible_to(actor).values("pk")
        )


class Skill(OrgScopedModel):
    """A person's skill in a process, declared by them and validated by their workshop."""

    class Level(models.TextChoices):
        BEGINNER = "beginner", _("Beginner")
        INTERMEDIATE = "intermediate", _("Intermediate")
        EXPERT = "expert", _("Expert")

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="skills"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="skills",
        verbose_name=_("person"),
    )
    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="skills", verbose_name=_("process")
    )
    level = models.CharField(_("level"), max_length=15, choices=Level.choices)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validated by"),
    )
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "process"], name="skill_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.process}"

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        # Skills are capacity data: shown as the organisation chose for "capacity".
        return group_visible_q(actor, FieldGroup.CAPACITY, "organization")
