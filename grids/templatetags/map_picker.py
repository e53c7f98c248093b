"""{% map_picker lon="id_lon" lat="id_lat" address="id_address" grid="id_unit_grid" %}: the map a form
locates its place on (grids/templates/grids/_map_picker.html + citygrid/js/map-picker.js). The tag
brings its own stylesheets and scripts (deferred, no inline code: the site's CSP), the basemap's
setting and the city's extent for the first view."""
from django import template
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from grids.mapping import city_extent

register = template.Library()

# The city's extent changes only with a grid import; a minute's staleness costs nothing.
EXTENT_CACHE_SECONDS = 60


def _extent_text() -> str:
    text = cache.get("grids:map:extent")
    if text is None:
        box = city_extent()
        text = ",".join(f"{v:.6f}" for v in box) if box else ""
        cache.set("grids:map:extent", text, EXTENT_CACHE_SECONDS)
    return text


@register.inclusion_tag("grids/_map_picker.html")
def map_picker(*, lon: str = "id_lon", lat: str = "id_lat", address: str = "id_address", grid: str = "",
               name: str = "map-picker") -> dict:
    return {
        "picker_id": name, "lon_id": lon, "lat_id": lat, "address_id": address, "grid_id": grid,
        "tiles": settings.MAP_TILE_URL, "extent": _extent_text(),
        "search_url": reverse("grids-map-search"), "point_url": reverse("grids-map-point"),
        "basemap_url": reverse("grids-map-basemap"),
    }
