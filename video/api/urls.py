"""URLs of the video API."""
from django.urls import path

from . import views

urlpatterns = [
    path("events/", views.EventReceiveApi.as_view(), name="video-event-receive"),
    path("events/pending/", views.PendingEventsApi.as_view(), name="video-events-pending"),
    path("events/<int:event_id>/confirm/", views.ConfirmEventApi.as_view(), name="video-event-confirm"),
    path("events/<int:event_id>/reject/", views.RejectEventApi.as_view(), name="video-event-reject"),
    path("accuracy/", views.AccuracyApi.as_view(), name="video-accuracy"),
]
