"""Top-level URLs: admin, accounts, the API with its schema and docs, and each app's pages."""
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from citygrid import backup_views
from citygrid.accounts import PasswordResetView

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page links: send them to the SVG icon (its hashed
    # static name is looked up per request, not at import).
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("citygrid/favicon.svg")), name="favicon"),
    path("admin/", admin.site.urls),
    # Before Django's own: where no mail is configured, the reset page says to ask an administrator.
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/auth/", include("citygrid.api_auth")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file (?script): no inline script, for the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/grids/", include("grids.api.urls")),
    path("api/cases/", include("cases.api.urls")),
    path("api/hotline/", include("hotline.api.urls")),
    path("api/assessment/", include("assessment.api.urls")),
    path("api/patrol/", include("patrol.api.urls")),
    path("open311/", include("hotline.open311.urls")),
    path("hotline/", include("hotline.urls")),
    path("assessment/", include("assessment.urls")),
    path("patrol/", include("patrol.urls")),
    path("api/video/", include("video.api.urls")),
    path("video/", include("video.urls")),
    path("api/supervision/", include("supervision.api.urls")),
    path("supervision/", include("supervision.urls")),
    path("api/rewards/", include("rewards.api.urls")),
    path("rewards/", include("rewards.urls")),
    path("api/surveys/", include("surveys.api.urls")),
    path("surveys/", include("surveys.urls")),
    path("backups/", backup_views.backups_page, name="backups"),
    path("api/field/", include("field.api.urls")),
    path("m/", include("field.urls")),
    path("", include("cases.urls")),
]

handler400 = "citygrid.error_pages.bad_request"
handler403 = "citygrid.error_pages.permission_denied"
handler404 = "citygrid.error_pages.page_not_found"
handler500 = "citygrid.error_pages.server_error"
