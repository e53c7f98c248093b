"""Content-Security-Policy on every response: django-csp's middleware (settings.CONTENT_SECURITY_POLICY
and, to try a policy on a live system, CONTENT_SECURITY_POLICY_REPORT_ONLY), with two additions
of this project: the tile host of MAP_TILE_URL in img-src, and per-path overrides."""
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


def tile_source(url: str) -> str | None:
    """The CSP source of a Leaflet tile URL template ("https://{s}.tiles.city/{z}/{x}/{y}.png" →
    "https://*.tiles.city"); None for a relative URL, which 'self' already covers."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "*"))
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{" in host:  # another placeholder in the host: allow the scheme's whole domain below it
        host = "*." + host.split("}", 1)[-1].lstrip(".-")
    return f"{parts.scheme}://{host}"


def path_overrides(path: str) -> dict[str, list[str]]:
    """The directives that CONTENT_SECURITY_POLICY_PATHS replaces below `path`, or none."""
    for prefix, overrides in getattr(settings, "CONTENT_SECURITY_POLICY_PATHS", {}).items():
        if path.startswith(prefix):
            return overrides
    return {}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (it leaves a header the view set alone, and honours its csp_update,
    csp_replace and csp_exempt decorators), extended the way it asks (get_policy_parts) because
    the settings alone cannot say two things: a source computed from another setting (the tile
    host), and overrides for all the pages below a path (the vendored API docs and the assessment's
    charts, views of a third-party package and a whole app, where a decorator on each view would
    be easy to forget on the next one). A view's own csp_replace wins over the path's."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        tiles = tile_source(settings.MAP_TILE_URL)
        if tiles:
            update = dict(parts.update or {})
            update["img-src"] = [*update.get("img-src", []), tiles]
            parts.update = update
        # path_info: the overrides name paths of the application, without a deployment prefix.
        overrides = path_overrides(request.path_info)
        if overrides:
            parts.replace = {**overrides, **(parts.replace or {})}
        return parts
