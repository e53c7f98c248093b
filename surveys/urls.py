"""URLs of the survey pages, mounted at /surveys/."""
from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.surveys_page, name="list"),
    path("new/", views.survey_new, name="new"),
    path("<int:survey_id>/", views.survey_detail, name="detail"),
    path("<int:survey_id>/close/", views.survey_close, name="close"),
    path("<int:survey_id>/report/", views.survey_report, name="report"),
    path("<int:survey_id>/export/", views.survey_export, name="export"),
]
