"""gunicorn settings for bench/run.py: the app is loaded once in the master and the locator's
grid index built there before the workers fork, so every worker starts warm and shares the index's
memory copy-on-write (instead of each building its own on its first report).

With BENCH_INTAKE_FLOOR=1 the URLs are bench/intake_floor.py's: the project's plus the intake's
floor view, which no other configuration mounts."""
import os


def when_ready(server):
    from django.db import connections

    from grids.locator import grid_index

    index = grid_index()
    server.log.info("grid index ready: %s unit grids", len(index))
    if os.environ.get("BENCH_INTAKE_FLOOR") == "1":
        from django.conf import settings

        settings.ROOT_URLCONF = "bench.intake_floor"
    connections.close_all()  # no connection may cross the fork
