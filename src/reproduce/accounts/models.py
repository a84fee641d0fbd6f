"""People, organisations of the network, their roles, invitations and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reproduce.core.actor import Actor
from reproduce.core.permissions import NetworkRoleName, OrgRole
from reproduce.core.tenancy import OrgScopedModel
from reproduce.core.validators import normalize_enterprise_number, normalize_vat_number


class EmailUserManager(UserManager):  # type: ignore[type-arg]
    def _create_user(self, username, email, password, **extra):  # type: ignore[no-untyped-def,override]
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra):  # type: ignore[no-untyped-def,override]
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra)

    def create_superuser(self, email=None, password=None, **extra):  # type: ignore[no-untyped-def,override]
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(None, email, password, **extra)


class User(AbstractUser):
    """A person. Signs in with an e-mail address; has a preferred language."""

    tenancy = "global"  # people can belong to several organisations; read via memberships

    username = None  # type: ignore[assignment,misc]
    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=settings.LANGUAGES, default="fr"
    )
    is_demo = models.BooleanField(_("demonstration data"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]
    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Organization(models.Model):
    """A member of the network: an artisan, an SME, a fablab, a supplier, a public body…

    Organisations themselves are listed publicly (name, type, commune): that is what being a
    member of the network means. Their contacts follow the sharing policy of "contacts".
    """

    tenancy = "global"  # the tenant itself; private fields are filtered by the sharing policy

    class Kind(models.TextChoices):
        ARTISAN = "artisan", _("Artisan / independent maker")
        SME = "sme", _("SME")
        COOPERATIVE = "cooperative", _("Cooperative")
        FABLAB = "fablab", _("Fablab / non-profit (ASBL/VZW)")
        SUPPLIER = "supplier", _("Material supplier")
        PUBLIC_BODY = "public_body", _("Public body")

    name = models.CharField(_("name"), max_length=150)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    enterprise_number = models.CharField(
        _("enterprise number (KBO/BCE)"),
        max_length=12,
        blank=True,
        help_text=_("10 digits, for example 0403.170.701. Leave empty if not yet registered."),
    )
    vat_number = models.CharField(_("VAT number"), max_length=14, blank=True)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise_number"],
                condition=~Q(enterprise_number=""),
                name="organization_unique_enterprise_number",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.enterprise_number:
            try:
                self.enterprise_number = normalize_enterprise_number(self.enterprise_number)
            except ValidationError as exc:
                errors["enterprise_number"] = exc
        if self.vat_number:
            try:
                self.vat_number = normalize_vat_number(self.vat_number)
            except ValidationError as exc:
                errors["vat_number"] = exc
        if errors:
            raise ValidationError(errors)


class Membership(OrgScopedModel):
    """A person's role in an organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=OrgRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_unique_user_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organization} ({self.role})"


class NetworkRole(models.Model):
    """A role over the whole network (coordinator, programme officer, reviewer)."""

    tenancy = "global"  # network staff roles are not organisation data

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="network_roles",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=30, choices=NetworkRoleName.choices)

    class Meta:
        verbose_name = _("network role")
        verbose_name_plural = _("network roles")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="networkrole_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(OrgScopedModel):
    """An e-mail invitation to join an organisation with a role; accepted once, expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # sent, waiting for the invitee
        ACCEPTED = "accepted", _("Accepted")  # the invitee joined
        REVOKED = "revoked", _("Revoked")  # withdrawn by the organisation

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=OrgRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        raw = secrets.token_urlsafe(32)
        return raw, _token_hash(raw)

    @classmethod
    def hash_token(cls, raw: str) -> str:
        return _token_hash(raw)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class ApiToken(models.Model):
    """A personal access token for the REST API. Only its hash is stored; revocable."""

    tenancy = "global"  # belongs to a person, acts with that person's roles

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (raw token shown once, prefix, hash)."""
        raw = "rp_" + secrets.token_urlsafe(32)
        return raw, raw[:10], _token_hash(raw)

    @classmethod
    def hash_token(cls, raw: str) -> str:
        return _token_hash(raw)

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


def actor_of(user: User, *, active_organization_id: int | None = None) -> Actor:
    from reproduce.core.actor import actor_for_user

    return actor_for_user(user, active_organization_id=active_organization_id)
