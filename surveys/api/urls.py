"""URLs of the surveys API, mounted at /api/surveys/."""
from django.urls import path

from . import views

app_name = "surveys-api"

urlpatterns = [
    path("tasks/mine/", views.MyTasksApi.as_view(), name="tasks-mine"),
    path("tasks/<int:task_id>/findings/", views.FindingApi.as_view(), name="task-finding"),
    path("tasks/<int:task_id>/no-problem/", views.NoProblemApi.as_view(), name="task-no-problem"),
]
