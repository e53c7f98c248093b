"""URLs of the rewards pages, mounted at /rewards/."""
from django.urls import path

from . import views

app_name = "rewards"

urlpatterns = [
    path("", views.citizens_page, name="citizens"),
    path("citizens/<int:citizen_id>/", views.statement_page, name="statement"),
    path("my/", views.public_statement_page, name="my-statement"),
    path("payouts/", views.payouts_page, name="payouts"),
    path("payouts/create/", views.payouts_create, name="payouts-create"),
    path("payouts/paid/", views.payouts_paid, name="payouts-paid"),
    path("payouts/export/", views.payouts_export, name="payouts-export"),
]
