"""The application form: one form in sections, made for a phone. It checks types only; the
services decide what is complete, valid and on time."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from reproduce.programme.models import Application, Call, DocumentKind
from reproduce.programme.services.applications import documents_asked
from reproduce.programme.services.calls import choices_needed

ACCEPT = ".pdf,.png,.jpg,.jpeg,.webp,application/pdf,image/png,image/jpeg,image/webp"
PERSON = ["first_name", "last_name", "email", "phone", "postcode"]
ENTERPRISE = [
    "is_future_entrepreneur",
    "enterprise_name",
    "enterprise_number",
    "legal_form",
    "enterprise_created_on",
    "fte",
]


class ApplicationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    is_future_entrepreneur = forms.BooleanField(
        label=_("I do not have an enterprise yet"), required=False
    )
    enterprise_name = forms.CharField(label=_("Enterprise name"), max_length=200, required=False)
    enterprise_number = forms.CharField(
        label=_("Enterprise number (KBO/BCE)"),
        max_length=20,
        required=False,
        help_text=_("Optional. 10 digits, for example 0403.170.701."),
    )
    legal_form = forms.CharField(
        label=_("Legal form"),
        max_length=60,
        required=False,
        help_text=_("For example: sole trader, SRL/BV, ASBL/VZW, cooperative."),
    )
    enterprise_created_on = forms.DateField(
        label=_("Enterprise created on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    fte = forms.DecimalField(
        label=_("Jobs today (full-time equivalents)"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    contribution = forms.CharField(
        label=_("What do you think you can bring to the group?"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    consent = forms.BooleanField(required=False)

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        lang = (get_language() or "fr")[:2]
        self.question_names = []
        for question in call.questions or []:
            name = f"q_{question['key']}"
            label = question.get(f"label_{lang}") or question.get("label_fr") or question["key"]
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=int(question.get("max_length") or 2000),
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("Required") if question.get("required") else _("Optional"),
            )
            self.question_names.append(name)
        fablabs = [("", _("Choose a fablab"))] + [
            (o.pk, o.name) for o in call.host_fablabs.order_by("name")
        ]
        self.choice_names = []
        for rank in range(1, choices_needed(call) + 1):
            name = f"choice_{rank}"
            self.fields[name] = forms.TypedChoiceField(
                label=_("Choice %(rank)s") % {"rank": rank},
                choices=fablabs,
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.choice_names.append(name)
        self.document_names = []
        for asked in documents_asked(call):
            name = f"doc_{asked['kind']}"
            self.fields[name] = forms.FileField(
                label=asked["label"],
                required=False,
                help_text=(_("Required") if asked["required"] else _("Optional"))
                + " · "
                + str(_("PDF or image, at most 10 MB")),
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
            )
            self.document_names.append(name)
        self.fields["consent"].label = _(
            "I agree that the programme team and the jury process my personal data to select "
            "the participants. They are kept %(months)s months after the end of the "
            "accompaniment, then erased."
        ) % {"months": call.retention_months}

    def section(self, names: list[str]) -> list[Any]:
        return [self[name] for name in names]

    @property
    def person(self) -> list[Any]:
        return self.section(PERSON)

    @property
    def enterprise(self) -> list[Any]:
        return self.section(ENTERPRISE)

    @property
    def questions(self) -> list[Any]:
        return self.section(self.question_names)

    @property
    def choices(self) -> list[Any]:
        return self.section(self.choice_names)

    @property
    def documents(self) -> list[Any]:
        return self.section(self.document_names)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data.get(name) for name in [*PERSON, *ENTERPRISE, "contribution"]}
        values["answers"] = {name[2:]: data.get(name) or "" for name in self.question_names}
        values["consent"] = bool(data.get("consent"))
        return values

    def ranked(self) -> list[int | None]:
        return [self.cleaned_data.get(name) for name in self.choice_names]

    def uploads(self) -> list[tuple[str, Any]]:
        return [
            (name[4:], self.cleaned_data[name])
            for name in self.document_names
            if self.cleaned_data.get(name)
        ]


def initial_of(application: Application) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(application, name) for name in [*PERSON, *ENTERPRISE]}
    initial["contribution"] = application.contribution
    initial["consent"] = application.consent_at is not None
    for key, text in (application.answers or {}).items():
        initial[f"q_{key}"] = text
    for choice in application.choices.all():
        initial[f"choice_{choice.rank}"] = choice.fablab_id
    return initial


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, I am sure"), required=True)


DOCUMENT_LABELS = dict(DocumentKind.choices)
