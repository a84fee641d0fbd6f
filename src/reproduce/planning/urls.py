"""Pages of the network plan, site plans, calendar feeds and bookings."""

from django.urls import path

from reproduce.planning import views

app_name = "planning"

urlpatterns = [
    path("", views.plan, name="plan"),
    path("replan/", views.replan, name="replan"),
    path("runs/<int:plan_id>/", views.run_status, name="run_status"),
    path("sites/<slug:slug>/", views.site_plan, name="site"),
    path("sites/<slug:slug>/calendar.ics", views.site_ics, name="site_ics"),
    path("machines/<int:machine_id>/calendar.ics", views.machine_ics, name="machine_ics"),
    path("machines/<int:machine_id>/book/", views.book, name="book"),
    path("feeds/<str:token>.ics", views.feed, name="feed"),
    path("bookings/", views.bookings, name="bookings"),
    path("bookings/<int:booking_id>/cancel/", views.cancel_booking, name="cancel_booking"),
]
