"""Command-center pages of the patrol: the map of collectors, one collector's day, the tables."""
from django.urls import path

from . import views

app_name = "patrol"

urlpatterns = [
    path("", views.collectors_map_page, name="map"),
    path("collectors/<int:collector_id>/", views.collector_day_page, name="day"),
    path("table/", views.table_page, name="table"),
]
