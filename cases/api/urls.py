"""URLs of the case API."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.CaseListCreateApi.as_view(), name="case-list"),
    path("self-handled/", views.SelfHandledApi.as_view(), name="case-self-handled"),
    path("tasks/", views.MyTasksApi.as_view(), name="my-tasks"),
    path("<int:case_id>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path("<int:case_id>/actions/<str:action>/", views.CaseActionApi.as_view(), name="case-action"),
]
