"""URLs of the hotline pages (/hotline/): the agent's desk, replies, callbacks, public lookup."""
from django.urls import path

from . import views

app_name = "hotline"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<int:case_id>/feedback/", views.case_feedback, name="case-feedback"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/<int:callback_id>/", views.callback_record, name="callback-record"),
    path("status/", views.public_status, name="status"),
]
