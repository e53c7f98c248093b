"""A GiST index of each component's point (PostgreSQL only), for the case page's nearest components.

The case page shows the 200 components nearest to the case (grids.selectors.components_nearest).
The btree of (lon, lat) finds a box's components by reading every entry in the box's longitude
band, city-wide, and a dense city has thousands in the box itself; the GiST index of point(lon,
lat) answers `ORDER BY point(lon, lat) <-> point(x, y) LIMIT 200` in distance order, reading about
as many entries as it returns. Built in the migration's transaction (not CONCURRENTLY): writes to
the component table wait for it, a few seconds at a million components.
"""
from django.db import migrations

from core.migration_sql import postgres_only

FORWARD = ["CREATE INDEX IF NOT EXISTS component_point_gist ON grids_component USING gist (point(lon, lat))"]
BACKWARD = ["DROP INDEX IF EXISTS component_point_gist"]


class Migration(migrations.Migration):
    dependencies = [("grids", "0001_initial")]

    operations = [migrations.RunPython(*postgres_only(FORWARD, BACKWARD))]
