"""The case event log is append-only in the database itself: on PostgreSQL a trigger refuses every
UPDATE and DELETE of cases_caseevent, whoever sends it (the ORM guards of CaseEvent are the second
line). Inserts are untouched, so the bulk generator's COPY works; TRUNCATE (a table owner's
statement, used by the benchmark to empty its own database and by test flushes) is not a row
change and is not refused. SQLite (the embedded first-look default) has the ORM guards only: a
trigger there would also refuse the test runner's DELETE-based flush."""
from django.db import migrations

from core.migration_sql import postgres_only

CREATE = ["""
CREATE OR REPLACE FUNCTION cases_caseevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cases_caseevent is append-only: % of event % refused', TG_OP, OLD.id
        USING HINT = 'Case events are never edited or deleted; record a new event instead.';
END
$$""",
    "DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent",
    """CREATE TRIGGER cases_caseevent_append_only BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_append_only()""",
]

DROP = [
    "DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent",
    "DROP FUNCTION IF EXISTS cases_caseevent_append_only()",
]


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_outbox")]

    operations = [migrations.RunPython(*postgres_only(CREATE, DROP), elidable=False)]
