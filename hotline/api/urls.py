"""URLs of the hotline API (/api/hotline/): calls, callers, replies, callbacks, figures, and the
public channel under public/."""
from django.urls import path

from . import views

app_name = "hotline-api"

urlpatterns = [
    path("calls/", views.CallListCreateApi.as_view(), name="call-list"),
    path("calls/<int:call_id>/", views.CallDetailApi.as_view(), name="call-detail"),
    path("callers/", views.CallerApi.as_view(), name="caller"),
    path("cases/<int:case_id>/feedback/", views.CaseFeedbackApi.as_view(), name="case-feedback"),
    path("callbacks/", views.CallbackListApi.as_view(), name="callback-list"),
    path("callbacks/<int:callback_id>/record/", views.CallbackRecordApi.as_view(), name="callback-record"),
    path("figures/", views.FiguresApi.as_view(), name="figures"),
    path("public/reports/", views.PublicReportApi.as_view(), name="public-report"),
    path("public/cases/<str:number>/", views.PublicCaseApi.as_view(), name="public-case"),
    path("public/classes/", views.PublicClassListApi.as_view(), name="public-classes"),
]
