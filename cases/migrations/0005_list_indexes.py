"""Indexes of the case lists and searches (issue 7), each for the query named beside it; plans in
bench/results/explain-<scale>.txt (`python bench/run.py`).

- case_deadline_idx (current_deadline, id): the API list's default order and the overdue list.
  PostgreSQL reads the index in order and stops after the page (Limit → Index Scan), instead of
  fetching every open case of the filter and sorting it (Limit → Sort → Index Scan on
  case_queue_idx, which gives the order only for one state at a time). Closed cases have no
  deadline and sit at the end (NULLS LAST), so the open ones come first.
- case_district_class_time_idx (district, minor, reported_at): the search form's district + class +
  period; case_class_time_idx (minor, reported_at) stays for the class-wide counts.
- On PostgreSQL only, pg_trgm GIN indexes of UPPER(description) and UPPER(address): the text search
  (`q=`, Django's icontains, which PostgreSQL runs as UPPER(col) LIKE UPPER('%text%')) becomes a
  bitmap index scan instead of a sequential scan of every case. pg_trgm hashes CJK trigrams, so
  Chinese text is indexed too. Built CONCURRENTLY would need a non-atomic migration; at install
  time the table is small, and on a large existing table run them by hand first (same names).
"""
from django.db import migrations, models

from core.migration_sql import postgres_only

TRIGRAM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS case_description_trgm_idx ON cases_case USING gin (UPPER(description) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS case_address_trgm_idx ON cases_case USING gin (UPPER(address) gin_trgm_ops)",
]
TRIGRAM_DROP = [
    "DROP INDEX IF EXISTS case_description_trgm_idx",
    "DROP INDEX IF EXISTS case_address_trgm_idx",
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_event_log_append_only"),
        ("grids", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["current_deadline", "id"], name="case_deadline_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["district", "minor", "reported_at"], name="case_district_class_time_idx"),
        ),
        migrations.RunPython(*postgres_only(TRIGRAM, TRIGRAM_DROP), elidable=False),
    ]
