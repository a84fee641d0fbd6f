"""Forms of the officer's call pages: the call itself, the scoring grid, the questions and the
documents asked. They check types; the rules (grid total, dates, wording) are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from reproduce.accounts.models import Organization
from reproduce.designs.forms import OneTimeTokenMixin
from reproduce.programme.models import Call, DocumentKind
from reproduce.programme.services.calls import DATE_FIELDS, TEXT_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class FablabChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        if obj.kind == Organization.Kind.FABLAB:
            return obj.name
        return f"{obj.name} ({obj.get_kind_display()})"


class CallForm(OneTimeTokenMixin, forms.ModelForm):
    """Texts in three languages, dates, places, retention and host fablabs."""

    host_fablabs = FablabChoiceField(
        label=_("Host fablabs"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Applicants rank three of them. Fablabs first; any organisation may host."),
    )

    class Meta:
        model = Call
        fields = [
            *TEXT_FIELDS,
            "opens_on",
            "deadline",
            "interviews_from",
            "interviews_to",
            "announcement_on",
            "starts_on",
            "ends_on",
            "places",
            "retention_months",
        ]
        widgets: dict[str, Any] = {
            **dict.fromkeys(DATE_FIELDS, DATE_INPUT),
            "deadline": DATETIME_INPUT,
            **{
                f"description_{lang}": forms.Textarea(attrs={"rows": 6})
                for lang in ["fr", "nl", "en"]
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.add_token()
        # A draft may be incomplete: publishing checks the three languages.
        for name in TEXT_FIELDS:
            if not name.startswith("title_fr"):
                self.fields[name].required = False
        deadline: Any = self.fields["deadline"]
        deadline.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        hosts: Any = self.fields["host_fablabs"]
        hosts.queryset = Organization.objects.filter(is_active=True)
        if self.instance.pk:
            self.fields["host_fablabs"].initial = list(
                self.instance.host_fablabs.values_list("pk", flat=True)
            )
        fablab_first = sorted(
            hosts.queryset, key=lambda o: (o.kind != Organization.Kind.FABLAB, o.name.lower())
        )
        hosts.choices = [(o.pk, hosts.label_from_instance(o)) for o in fablab_first]

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CriterionForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=40)
    label_fr = forms.CharField(label=_("Label (French)"), max_length=200, required=False)
    label_nl = forms.CharField(label=_("Label (Dutch)"), max_length=200, required=False)
    label_en = forms.CharField(label=_("Label (English)"), max_length=200, required=False)
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=100)


class QuestionForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=40)
    label_fr = forms.CharField(label=_("Question (French)"), max_length=300, required=False)
    label_nl = forms.CharField(label=_("Question (Dutch)"), max_length=300, required=False)
    label_en = forms.CharField(label=_("Question (English)"), max_length=300, required=False)
    required = forms.BooleanField(label=_("Answer required"), required=False)
    max_length = forms.IntegerField(
        label=_("Longest answer (characters)"), min_value=1, max_value=10_000, initial=2000
    )


class DocumentAskedForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices, widget=forms.HiddenInput)
    asked = forms.BooleanField(label=_("Asked"), required=False)
    required = forms.BooleanField(label=_("Required"), required=False)


CriteriaFormSet = formset_factory(CriterionForm, extra=1, can_delete=True, max_num=12)
QuestionFormSet = formset_factory(QuestionForm, extra=1, can_delete=True, max_num=20)
DocumentFormSet = formset_factory(DocumentAskedForm, extra=0, max_num=len(DocumentKind.choices))


def rows_of(formset: Any) -> list[dict[str, Any]]:
    """The filled-in rows of a grid or questions formset (empty and deleted rows dropped)."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or not data.get("key"):
            continue
        rows.append({k: v for k, v in data.items() if k != "DELETE"})
    return rows


def documents_initial(call: Call | None, default: list[dict[str, Any]]) -> list[dict[str, Any]]:
    asked = {d["kind"]: d for d in (call.documents if call is not None else default)}
    return [
        {"kind": kind, "asked": kind in asked, "required": asked.get(kind, {}).get("required")}
        for kind in DocumentKind.values
    ]


def documents_of(formset: Any) -> list[dict[str, Any]]:
    return [
        {"kind": f.cleaned_data["kind"], "required": bool(f.cleaned_data.get("required"))}
        for f in formset.forms
        if f.cleaned_data.get("asked")
    ]
