"""The field app's pages: the one app shell (everything else is drawn by field/static/field/app.js
from the API), its login, the web app manifest and the service worker that keeps the shell offline."""
import hashlib
import json

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from grids.models import Role

from .selectors import report_area
from .texts import TEXTS

FIELD_ROLES = (Role.COLLECTOR, Role.HANDLER)
# What the service worker keeps for an offline start: the shell and the files it loads.
SHELL_STATIC = ("field/app.css", "field/app.js", "field/icons/icon.svg", "field/icons/icon-192.png", "field/icons/camera.svg",
                "vendor/leaflet/leaflet.css", "vendor/leaflet/leaflet.js", "citygrid/js/maps.js")


def _config(request: HttpRequest) -> dict:
    user = request.user
    return {
        "uid": user.pk,
        "role": user.role,
        "user": user.display_name,
        "unit": (user.department.name if user.department_id else user.region.name if user.region_id else ""),
        "tiles": settings.MAP_TILE_URL,
        # Where a report's map opens without a position (collectors only: a handler reports nothing).
        "area": report_area(user) if user.role == Role.COLLECTOR else None,
        "track_interval_s": settings.PATROL_POINT_SECONDS,
        "track_batch_s": settings.FIELD_TRACK_BATCH_SECONDS,
        "answer_radius_m": getattr(settings, "FIELD_ANSWER_RADIUS_M", 200),
        "sw": reverse("field:sw"),
        "login": reverse("field:login"),
        "texts": {key: str(text) for key, text in TEXTS.items()},
    }


@never_cache
@login_required(login_url="field:login")
def app(request: HttpRequest) -> HttpResponse:
    """The app shell for collectors and handlers (and the administrator, to look at it)."""
    if request.user.role not in FIELD_ROLES and request.user.role != Role.ADMIN:
        return render(request, "field/not_field.html", status=403)
    return render(request, "field/app.html", {"config": _config(request)})


class LoginView(auth_views.LoginView):
    """The site's login, drawn for a phone; it lands on the app."""

    template_name = "field/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("field:app")


def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installable to the home screen, opening on /m/ full screen."""
    body = {
        "name": _("数字城管 城管通 / 处置通"),
        "short_name": _("城管通"),
        "lang": "zh-CN",
        "start_url": reverse("field:app"),
        "scope": reverse("field:app"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b3d6e",
        "icons": [
            {"src": static("field/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("field/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("field/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /m/ so that it controls the app's pages. Its cache name
    follows the shell's static files (hashed names in production), so a new release replaces it."""
    shell = [reverse("field:app"), *(static(path) for path in SHELL_STATIC)]
    version = hashlib.sha256("\n".join(shell).encode()).hexdigest()[:12]
    response = render(request, "field/sw.js", {"shell_json": json.dumps(shell), "version": version},
                      content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field:app")
    response["Cache-Control"] = "no-cache"
    return response
