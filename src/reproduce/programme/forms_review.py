"""Forms of the review and the selection: scores on a call's grid, conflicts of interest,
assigning reviewers, interview slots, decisions. The services check the values again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reproduce.designs.forms import OneTimeTokenMixin
from reproduce.programme.models import DECIDED_STATES, ApplicationState, Call, ReviewAssignment
from reproduce.programme.services.review import criteria, criterion_label


def points_field(key: str) -> str:
    return f"points_{key}"


def comment_field(key: str) -> str:
    return f"comment_{key}"


class ScoreForm(forms.Form):
    """One points field and one comment per criterion of the call's grid, an overall comment.

    Points are checked by the service (``score_out_of_grid`` shown next to the criterion), so
    a wrong value comes back with everything typed kept.
    """

    comment = forms.CharField(
        label=_("Overall comment"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, call: Call, assignment: ReviewAssignment, **kwargs: Any):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("comment", assignment.comment)
        for score in assignment.scores.all():
            initial.setdefault(points_field(score.criterion), score.points)
            initial.setdefault(comment_field(score.criterion), score.comment)
        super().__init__(*args, **kwargs)
        self.grid = criteria(call)
        comment = self.fields.pop("comment")
        for criterion in self.grid:
            key, maximum = str(criterion["key"]), Decimal(str(criterion["points"]))
            self.fields[points_field(key)] = forms.CharField(
                label=_("%(criterion)s (0 to %(max)s points)")
                % {"criterion": criterion_label(criterion), "max": maximum},
                required=False,
                widget=forms.NumberInput(
                    attrs={"min": 0, "max": maximum, "step": "0.5", "inputmode": "decimal"}
                ),
            )
            self.fields[comment_field(key)] = forms.CharField(
                label=_("Comment on “%(criterion)s”") % {"criterion": criterion_label(criterion)},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["comment"] = comment

    def rows(self) -> list[tuple[Any, Any]]:
        """(points, comment) bound fields per criterion, for the template."""
        return [
            (self[points_field(str(c["key"]))], self[comment_field(str(c["key"]))])
            for c in self.grid
        ]

    def points(self) -> dict[str, Any]:
        return {
            str(c["key"]): self.cleaned_data.get(points_field(str(c["key"]))) for c in self.grid
        }

    def comments(self) -> dict[str, str]:
        return {
            str(c["key"]): self.cleaned_data.get(comment_field(str(c["key"]))) or ""
            for c in self.grid
        }


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"),
        max_length=300,
        help_text=_("For example: a relative, a friend, a business partner, a client."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(OneTimeTokenMixin, forms.Form):
    reviewer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Reviewer"), queryset=None, empty_label=None
    )

    def __init__(self, *args: Any, queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()
        field: Any = self.fields["reviewer"]
        field.queryset = queryset
        field.label_from_instance = lambda u: u.get_full_name() or u.email


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(s.value, s.label) for s in DECIDED_STATES],
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Personal message to the applicant (optional)"),
        required=False,
        max_length=3000,
        help_text=_("Added to the e-mail, which is written in the applicant's language."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class SlotSeriesForm(OneTimeTokenMixin, forms.Form):
    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label=_("First slot of the day starts at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, initial=30)
    count = forms.IntegerField(label=_("Slots a day"), min_value=1, initial=6)
    meeting_url = forms.URLField(
        label=_("Video meeting link"), required=False, assume_scheme="https"
    )
    weekdays_only = forms.BooleanField(label=_("Weekdays only"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_token()


class ApplicationFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All submitted"))]
        + [(s.value, s.label) for s in ApplicationState if s != ApplicationState.DRAFT],
    )
    q = forms.CharField(label=_("Name or reference"), required=False, max_length=100)


class BookSlotForm(forms.Form):
    """The free slots offered; a slot taken meanwhile is refused by the service
    (``slot_taken``), not by the form, so the applicant is told why."""

    slot = forms.IntegerField(label=_("Interview slot"))

    def __init__(self, *args: Any, slots: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].widget = forms.RadioSelect(
            choices=[(s.pk, slot_label(s)) for s in slots]
        )


def slot_label(slot: Any) -> str:
    from django.utils import formats, timezone

    start = timezone.localtime(slot.starts_at)
    end = timezone.localtime(slot.ends_at)
    return f"{formats.date_format(start, 'l j F Y')} · {start:%H:%M}–{end:%H:%M}"
