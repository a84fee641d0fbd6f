"""Pages of the shop floor (see views.py for who may do what)."""

from django.urls import path

from reproduce.production import views

app_name = "production"

urlpatterns = [
    path("", views.today, name="today"),
    path("now/", views.floor_progress, name="floor_progress"),
    path("orders/<int:pk>/progress/", views.order_progress, name="order_progress"),
    path("<int:pk>/", views.work, name="work"),
    path("<int:pk>/progress/", views.work_progress, name="work_progress"),
    path("<int:pk>/photos/", views.photos, name="photos"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/pause/", views.pause, name="pause"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("<int:pk>/output/", views.output, name="output"),
    path("<int:pk>/consume/", views.consume, name="consume"),
    path("<int:pk>/photo/", views.photo, name="photo"),
    path("<int:pk>/time/", views.add_time, name="add_time"),
    path("<int:pk>/finish/", views.finish, name="finish"),
]
