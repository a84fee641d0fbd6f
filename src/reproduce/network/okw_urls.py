from django.urls import path

from reproduce.network import okw_views

app_name = "okw"
urlpatterns = [
    path("import/", okw_views.import_page, name="import"),
    path("export.json", okw_views.export_json, name="export"),
]
