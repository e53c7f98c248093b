"""URLs of the rewards API, mounted at /api/rewards/."""
from django.urls import path

from . import views

app_name = "rewards-api"

urlpatterns = [
    path("statement/", views.StatementApi.as_view(), name="statement"),
    path("public/statement/", views.PublicStatementApi.as_view(), name="public-statement"),
    path("payouts/", views.PayoutListCreateApi.as_view(), name="payouts"),
    path("payouts/paid/", views.PayoutsPaidApi.as_view(), name="payouts-paid"),
]
