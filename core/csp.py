"""Content-Security-Policy on every response, from settings.CONTENT_SECURITY_POLICY (with
per-path overrides in CONTENT_SECURITY_POLICY_PATHS for the vendored API docs).

Why a small middleware and not django-csp: the policy is static (no nonces, since no page has an
inline script), one header and one override table are all we need, and Django 6.0 brings its own
CSP middleware with the same shape, so a dependency for one release line is not worth it."""
from urllib.parse import urlsplit

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


def policy_header(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def policy_for(path: str) -> str:
    directives = {name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY.items()}
    tiles = tile_source(settings.MAP_TILE_URL)
    if tiles and "img-src" in directives:
        directives["img-src"].append(tiles)
    for prefix, overrides in getattr(settings, "CONTENT_SECURITY_POLICY_PATHS", {}).items():
        if path.startswith(prefix):
            directives.update({name: list(sources) for name, sources in overrides.items()})
            break
    return policy_header(directives)


class ContentSecurityPolicyMiddleware:
    """Sets the policy unless the view set its own. Report-only while the setting
    CONTENT_SECURITY_POLICY_REPORT_ONLY is on (to try a stricter policy on a live system)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        header = ("Content-Security-Policy-Report-Only" if settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
                  else "Content-Security-Policy")
        if header not in response.headers:
            # path_info: the overrides name paths of the application, without a deployment prefix.
            response.headers[header] = policy_for(request.path_info)
        return response
