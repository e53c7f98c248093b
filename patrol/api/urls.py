"""URLs of the patrol API."""
from django.urls import path

from . import views

urlpatterns = [
    path("duty/", views.DutyApi.as_view(), name="patrol-duty"),
    path("points/", views.PointsApi.as_view(), name="patrol-points"),
    path("posts/", views.PostsApi.as_view(), name="patrol-posts"),
    path("checkins/", views.CheckInApi.as_view(), name="patrol-checkins"),
    path("today/", views.TodayApi.as_view(), name="patrol-today"),
    path("collectors/", views.CollectorsMapApi.as_view(), name="patrol-collectors"),
    path("collectors/<int:collector_id>/track/", views.TrackApi.as_view(), name="patrol-track"),
]
