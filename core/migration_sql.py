"""SQL that only PostgreSQL understands (triggers, trigram indexes, extended statistics), run from
migrations and skipped on SQLite: `migrations.RunPython(*postgres_only(forward, backward))`."""


def _runner(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


def postgres_only(forward: list[str], backward: list[str]):
    """The forward and backward functions of a RunPython that executes the statements on
    PostgreSQL and does nothing elsewhere."""
    return _runner(forward), _runner(backward)
