"""The FEDER/EFRO indicators page of programme officers, and its XLSX workbook.

The figures are computed from the records each time (``services.indicators``); the page
explains each definition and lists the participations behind every figure. Showing or
exporting them reads applicants' names: each access is written to the audit log.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reproduce.core.actor import Actor, request_actor
from reproduce.core.permissions import access, require
from reproduce.programme.access import record_access
from reproduce.programme.models import Application, Cohort, Participant
from reproduce.programme.services import indicators

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ScopeForm(forms.Form):
    cohort = forms.ModelChoiceField(
        label=_("Cohort"), queryset=Cohort.objects.none(), required=False, empty_label=_("All")
    )
    period_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = Cohort.objects.visible_to(actor).select_related("call")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and start > end:
            self.add_error("period_to", _("The end of the period comes before its start."))
        return data

    def scope(self) -> indicators.Scope:
        if not self.is_valid():
            return indicators.Scope()
        data = self.cleaned_data
        return indicators.Scope(
            cohort=data.get("cohort"),
            period_from=data.get("period_from"),
            period_to=data.get("period_to"),
        )


def report_for(actor: Actor, scope: indicators.Scope, what: str) -> indicators.Report:
    """The indicators the officer may see, with an audit entry per application shown."""
    report = indicators.compute(Participant.objects.visible_to(actor), scope)
    ids = {row.participant_id for i in report.indicators for row in i.rows}
    applications = Application.objects.visible_to(actor).filter(participant__in=ids)
    for application in applications:
        record_access(actor, application, what)
    return report


def _form(request: HttpRequest, actor: Actor) -> ScopeForm:
    return ScopeForm(request.GET or None, actor=actor)


@access("network", perm="programme.view", methods=("GET",))
@login_required
def indicators_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, "programme.view")
    form = _form(request, actor)
    report = report_for(actor, form.scope(), "indicators")
    context = {
        "form": form,
        "report": report,
        "regulation": indicators.REGULATION,
        "query": request.GET.urlencode(),
    }
    return render(request, "programme/indicators/indicators.html", context)


@access("network", perm="programme.view", methods=("GET",))
@login_required
def indicators_workbook(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require(actor, "programme.view")
    report = report_for(actor, _form(request, actor).scope(), "export_indicators")
    buffer = BytesIO()
    indicators.write_workbook(report, buffer)
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="feder-indicators-{stamp}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("indicators/", indicators_page, name="indicators"),
    path("indicators/workbook.xlsx", indicators_workbook, name="indicators_workbook"),
]
