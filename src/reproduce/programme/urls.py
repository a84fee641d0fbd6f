"""Pages of the accompaniment programme (mounted at /<lang>/programme/)."""

from reproduce.programme.views import (
    applicant,
    calls,
    cohorts,
    events,
    indicators,
    review,
    selection,
)

app_name = "programme"

urlpatterns = [
    *applicant.urlpatterns,  # public calls, applying, my applications
    *calls.urlpatterns,  # officers write and publish calls
    *review.urlpatterns,  # reviewers score their assignments
    *selection.urlpatterns,  # officers: applications, reviewers, interviews, decisions
    *cohorts.urlpatterns,  # cohorts, participants, sessions, grants
    *events.urlpatterns,  # public events and registrations
    *indicators.urlpatterns,  # FEDER indicators
]
