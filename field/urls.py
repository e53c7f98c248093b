"""URLs of the mobile field app, mounted at /m/."""
from django.urls import path

from . import views

app_name = "field"

urlpatterns = [
    path("", views.app, name="app"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="sw"),
]
