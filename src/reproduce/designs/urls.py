"""Pages of the designs library: reading (views.py) and editing (edit_views.py)."""

from django.urls import include, path

from reproduce.designs import views

app_name = "designs"

urlpatterns = [
    path("", views.library, name="library"),
    # Editing routes first: their fixed words (e.g. "new/") must not be read as a design's slug.
    path("", include("reproduce.designs.edit_urls")),
    path("versions/<int:version_id>/", views.version, name="version"),
    path("versions/<int:version_id>/compare/", views.compare, name="compare"),
    path("versions/<int:version_id>/review/", views.review, name="review"),
    path("versions/<int:version_id>/explosion/", views.explosion, name="explosion"),
    path("versions/<int:version_id>/package.zip", views.package, name="package"),
    path("files/<int:file_id>/", views.file, name="file"),
    path("files/<int:file_id>/thumbnail/", views.file_thumbnail, name="file_thumbnail"),
    path("<slug:slug>/", views.detail, name="detail"),
]
