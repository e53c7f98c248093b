"""knox's own migrations create its token table although KNOX_TOKEN_MODEL swaps it for ours
(citygrid.ApiToken): left empty, its foreign key to the people stopped `flush` (the demo's --reset,
the tests' transactional flush) on PostgreSQL."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("citygrid", "0001_api_tokens"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS knox_authtoken", reverse_sql=migrations.RunSQL.noop),
    ]
