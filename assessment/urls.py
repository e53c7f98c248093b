"""URLs of the assessment pages (mounted at /assessment/). A period label is a path segment:
2026-10, 2026-Q4, 2026-W41, 2026, 2026-10-05 or 2026-10-01..2026-10-15."""
from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.home, name="home"),
    path("schedule/", views.schedule, name="schedule"),
    path("<str:label>/", views.overview, name="overview"),
    path("<str:label>/compute/", views.compute, name="compute"),
    path("<str:label>/freeze/", views.freeze, name="freeze"),
    path("<str:label>/recompute/", views.recompute, name="recompute"),
    path("<str:label>/ranking/<slug:object_type>/", views.ranking, name="ranking"),
    path("<str:label>/object/<slug:object_type>/<slug:level>/<int:object_id>/", views.object_page, name="object"),
    path("<str:label>/drill/<slug:object_type>/<slug:level>/<int:object_id>/<slug:counter>/", views.drill,
         name="drill"),
    path("<str:label>/distribution/", views.distribution, name="distribution"),
    path("<str:label>/hotspots/", views.hotspots, name="hotspots"),
    path("<str:label>/leaders/", views.leaders, name="leaders"),
    path("<str:label>/bulletin/", views.bulletin, name="bulletin"),
]
