from django.urls import path

from reproduce.network import views

app_name = "network"
urlpatterns = [
    path("map/", views.network_map, name="map"),
    path("map/sites.geojson", views.sites_geojson, name="sites_geojson"),
    path("map/communes.geojson", views.communes_geojson, name="communes_geojson"),
    path("search/", views.capability_search, name="search"),
    path("sites/<slug:slug>/", views.site_detail, name="site_detail"),
]
