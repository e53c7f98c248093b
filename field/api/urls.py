"""URLs of the field app's API, mounted at /api/field/."""
from django.urls import path

from . import views

urlpatterns = [
    path("classes/", views.ClassPickerApi.as_view(), name="field-classes"),
    path("inbox/", views.InboxApi.as_view(), name="field-inbox"),
]
