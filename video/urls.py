"""Command-center pages of video intake."""
from django.urls import path

from . import views

app_name = "video"

urlpatterns = [
    path("", views.pending_page, name="pending"),
    path("events/<int:event_id>/confirm/", views.decide, {"decision": "confirm"}, name="confirm"),
    path("events/<int:event_id>/reject/", views.decide, {"decision": "reject"}, name="reject"),
    path("events/<int:event_id>/frame/", views.frame, name="frame"),
    path("accuracy/", views.accuracy_page, name="accuracy"),
]
