"""Assessment API URLs (mounted at /api/assessment/)."""
from django.urls import path

from . import views

urlpatterns = [
    path("periods/", views.PeriodListApi.as_view(), name="assessment-periods"),
    path("<str:label>/ranking/<slug:object_type>/", views.RankingApi.as_view(), name="assessment-ranking"),
    path("<str:label>/objects/<slug:object_type>/<slug:level>/<int:object_id>/", views.ObjectApi.as_view(),
         name="assessment-object"),
    path("<str:label>/compute/", views.ComputeApi.as_view(), name="assessment-compute"),
    path("<str:label>/recompute/", views.RecomputeFrozenApi.as_view(), name="assessment-recompute"),
]
