"""Bigram indexes for two-character search terms (PostgreSQL only).

Chinese search terms are often two characters (井盖, 垃圾, 路灯, 占道). pg_trgm (0005) cannot serve
LIKE '%井盖%' with fewer than three characters, so such a search read the whole case table: about
1 s at a million cases when the term is rare, and 40 ms to count the first thousand matches of a
common one. text_bigrams(t) is the array of t's two-character substrings; a GIN index holds it for
UPPER(description) and UPPER(address), and cases.selectors.case_search_filter asks for a
two-character term as `text_bigrams(UPPER(col)) @> text_bigrams(UPPER(term))`, which for two
characters is exactly "contains": no LIKE is needed on the rows found, and the planner estimates
the matches from the index expression's statistics. Terms of three characters or more stay with
the trigram indexes. The function is IMMUTABLE (an index expression must be) and STRICT.
"""
from django.db import migrations

from core.migration_sql import postgres_only

FORWARD = [
    """CREATE OR REPLACE FUNCTION text_bigrams(t text) RETURNS text[]
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT array(SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i) $$""",
    "CREATE INDEX IF NOT EXISTS case_description_bigram_idx ON cases_case USING gin (text_bigrams(UPPER(description)))",
    "CREATE INDEX IF NOT EXISTS case_address_bigram_idx ON cases_case USING gin (text_bigrams(UPPER(address)))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS case_description_bigram_idx",
    "DROP INDEX IF EXISTS case_address_bigram_idx",
    "DROP FUNCTION IF EXISTS text_bigrams(text)",
]


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_queue_partial_indexes")]

    operations = [migrations.RunPython(*postgres_only(FORWARD, BACKWARD))]
