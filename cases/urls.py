"""The workbench pages: role homes, the case page and its actions, photos, search and export, the overview."""
from django.urls import path

from . import class_picker_views, media, views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("work/operator/", views.operator_home, name="operator"),
    path("work/shift-leader/", views.shift_leader_home, name="shift_leader"),
    path("work/dispatcher/", views.dispatcher_home, name="dispatcher"),
    path("work/department/", views.department_home, name="department"),
    path("work/collector/", views.collector_home, name="collector"),
    path("cases/new/", views.report_new, name="report_new"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
    path("cases/<int:case_id>/act/<slug:action>/", views.case_act, name="act"),
    path("search/", views.search, name="search"),
    path("search/export.xlsx", views.search_export, name="export"),
    path("overview/", views.overview, name="overview"),
    path("overview/wall/", views.wall, name="wall"),
    path("photos/<int:attachment_id>/", media.photo_serve, name="photo"),
    path("photos/<int:attachment_id>/thumbnail/", media.photo_serve, {"variant": "thumbnail"}, name="photo_thumbnail"),
    path("overview/grids.json", views.overview_grids, name="overview_grids"),
    path("classes.json", class_picker_views.classes_json, name="classes"),
]
