"""Extended statistics (PostgreSQL) on the region columns of a case, which are nested (a unit grid
lies in one community, street and district): without them PostgreSQL multiplies the columns'
distinct counts and estimates a million (district, street, community, unit grid) groups where
there are about 20,000, so the assessment's region counters (assessment.passes)
sorted the month's cases on disk instead of hashing them."""
from django.db import migrations

from core.migration_sql import postgres_only

CREATE = ["CREATE STATISTICS IF NOT EXISTS cases_case_region_ndistinct (ndistinct) "
          "ON district_id, street_id, community_id, unit_grid_id FROM cases_case"]
DROP = ["DROP STATISTICS IF EXISTS cases_case_region_ndistinct"]


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_list_indexes")]

    operations = [migrations.RunPython(*postgres_only(CREATE, DROP), elidable=False)]
