"""Forms of the accounts app: profile, organisations, members, invitations, API tokens.

``PlatformForm`` gives every form of the platform the same markup (``accounts/forms/form.html``):
one ``.field`` per input, errors linked to their input by ``aria-describedby`` (Django does
that), optional fieldsets.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.models import ApiToken, Organization, User
from reproduce.accounts.services import ORGANIZATION_FIELDS
from reproduce.core.permissions import OrgRole


class PlatformFormMixin:
    """Shared rendering; ``fieldsets`` = [(legend, [field names]), …] groups the inputs."""

    template_name = "accounts/forms/form.html"
    fieldsets: list[tuple[Any, ...]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        no_colon_for_checkboxes(self)  # type: ignore[arg-type]

    def grouped_fields(self) -> list[tuple[Any, list[forms.BoundField], str]]:
        """(legend, bound fields, css class); a third ``fieldsets`` item names the class
        (``"grid"`` lays short inputs side by side on wide screens)."""
        form: Any = self  # a mixin of Form/ModelForm
        groups, placed = [], set()
        for legend, names, *css in self.fieldsets:
            bound = [form[n] for n in names if n in form.fields and not form[n].is_hidden]
            placed.update(names)
            if bound:
                groups.append((legend, bound, css[0] if css else ""))
        rest = [bf for bf in form.visible_fields() if bf.name not in placed]
        if rest:
            groups.append(("", rest, ""))
        return groups


def no_colon_for_checkboxes(form: forms.BaseForm) -> None:
    """“☐ Shown on the map”, not “☐ Shown on the map :” (the box comes first)."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.label_suffix = ""


class PlatformForm(PlatformFormMixin, forms.Form):
    pass


class PlatformModelForm(PlatformFormMixin, forms.ModelForm):
    pass


class CheckboxGroups(forms.CheckboxSelectMultiple):
    """Checkboxes in a compact grid; grouped choices get a group heading (not an orphan label)."""

    template_name = "accounts/forms/checkbox_groups.html"

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Iterable[Any] = ()) -> None:
        super().__init__({"class": "checkbox-grid", **(attrs or {})}, choices)


class LenientDecimalField(forms.DecimalField):
    """A decimal typed the Belgian way (comma) or the English way (point), rounded to the
    field's places instead of refusing a longer fraction (coordinates pasted from a map)."""

    def __init__(self, *, places: int, **kwargs: Any) -> None:
        self.places = places
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(decimal_places=None, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.quantize(Decimal(1).scaleb(-self.places))
        except InvalidOperation as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


# ---------------------------------------------------------------- profile


class ProfileForm(PlatformModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "preferred_language"]


# ---------------------------------------------------------------- organisations


class OrganizationForm(PlatformModelForm):
    """Create or edit an organisation. The enterprise and VAT numbers are checked by
    ``Organization.clean()`` (python-stdnum), so the error shows next to the field."""

    fieldsets = [
        (_("Identity"), ["name", "legal_name", "kind", "enterprise_number", "vat_number"]),
        (_("Presentation"), ["description", "website"]),
        (_("Contacts"), ["email", "phone", "street", "postcode", "city"]),
    ]

    class Meta:
        model = Organization
        fields = ORGANIZATION_FIELDS  # exactly what the organisation services accept
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "vat_number": _("For example BE0403170701. Leave empty if not subject to VAT."),
            "email": _("Shown according to your sharing choice for contacts."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("enterprise_number", "vat_number"):
            # Accept the number as people write it ("BE 0403.170.701"); clean_<name> compacts it
            # to fit the column and Organization.clean() validates and formats it.
            field = self.fields[name]
            field.max_length = 30  # type: ignore[attr-defined]
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxLengthValidator)
            ]
            field.widget.attrs.update(maxlength="30", autocomplete="off", spellcheck="false")

    def _compact(self, name: str) -> str:
        return re.sub(r"[\s./\-]", "", self.cleaned_data.get(name) or "").upper()

    def clean_enterprise_number(self) -> str:
        return self._compact("enterprise_number")

    def clean_vat_number(self) -> str:
        return self._compact("vat_number")

    def validate_unique(self) -> None:
        # The database constraint on the enterprise number is conditional, and Django would
        # report it as an anonymous error; say which field and why instead.
        exclude = self._get_validation_exclusions()  # type: ignore[attr-defined]
        exclude.add("enterprise_number")
        try:
            self.instance.validate_unique(exclude=exclude)
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]
        number = self.instance.enterprise_number
        if number and "enterprise_number" not in self.errors:
            others = Organization.objects.filter(enterprise_number=number).exclude(
                pk=self.instance.pk
            )
            if others.exists():
                self.add_error(
                    "enterprise_number",
                    ValidationError(
                        _(
                            "Another organisation of the network is already registered with this "
                            "enterprise number."
                        ),
                        code="duplicate_enterprise_number",
                    ),
                )


# ---------------------------------------------------------------- members and invitations


def grantable_roles(can_make_owner: bool) -> list[tuple[str, Any]]:
    return [
        (value, label)
        for value, label in OrgRole.choices
        if value != OrgRole.OWNER or can_make_owner
    ]


class InvitationForm(PlatformForm):
    email = forms.EmailField(label=_("E-mail address of the person"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"),
        help_text=_(
            "Viewers read the organisation's data; operators also report machine downtime and "
            "declare skills; managers edit sites, machines and sharing and invite people; owners "
            "also change roles."
        ),
    )

    def __init__(self, *args: Any, can_make_owner: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "invite")
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = grantable_roles(can_make_owner)  # type: ignore[attr-defined]
        self.fields["role"].initial = OrgRole.OPERATOR


class MemberRoleForm(PlatformForm):
    """Change the role of one member; ``membership`` is checked against the organisation."""

    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=OrgRole.choices)


class ObjectIdForm(PlatformForm):
    """The id of a child object named in a POST (an invitation, a closure…): checked by the view."""

    object_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# ---------------------------------------------------------------- API tokens


class ApiTokenForm(PlatformForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “inventory spreadsheet”."),
    )
    access = forms.ChoiceField(
        label=_("What it may do"),
        widget=forms.RadioSelect,
        initial="read",
        choices=[("read", _("Read only")), ("write", _("Read and write"))],
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional. Leave empty for a token that works until you revoke it."),
    )

    def clean_expires_on(self) -> datetime.date | None:
        value = self.cleaned_data.get("expires_on")
        if value is not None and value <= timezone.localdate():
            raise ValidationError(_("Choose a date after today."), code="past_expiry")
        return value

    @property
    def scopes(self) -> list[str]:
        if self.cleaned_data["access"] == "write":
            return [ApiToken.Scope.READ, ApiToken.Scope.WRITE]
        return [ApiToken.Scope.READ]

    @property
    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        # Valid through the whole chosen day, Brussels time.
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


class InvitationTokenForm(PlatformForm):
    token = forms.CharField(
        label=_("Invitation code or link"),
        max_length=400,
        help_text=_("Paste the link from the invitation e-mail."),
    )

    def clean_token(self) -> str:
        value = self.cleaned_data["token"].strip()
        if "token=" in value:
            value = value.split("token=", 1)[1].split("&", 1)[0]
        return value


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's refusal on the form: next to the field it names when the form has it."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
