"""Management pages of the registry, mounted at /<lang>/manage/ (see manage_views)."""

from django.urls import path

from reproduce.network import manage_views as views

app_name = "manage"
urlpatterns = [
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<slug:slug>/edit/", views.site_edit, name="site_edit"),
    path("sites/<slug:slug>/hours/", views.site_hours, name="site_hours"),
    path("sites/<slug:slug>/closures/", views.site_closures, name="site_closures"),
    path("machines/new/", views.machine_create, name="machine_create"),
    path("machines/<int:machine_id>/edit/", views.machine_edit, name="machine_edit"),
    path("machines/<int:machine_id>/delete/", views.machine_delete, name="machine_delete"),
    path(
        "machines/<int:machine_id>/unavailability/",
        views.machine_unavailability,
        name="machine_unavailability",
    ),
    path("sharing/", views.sharing, name="sharing"),
    path("skills/", views.skills, name="skills"),
]
