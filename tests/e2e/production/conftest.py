"""The production pass (CI's third pass, README "Production"): these tests drive a citygrid that
runs as a city runs it — DEBUG off, a real SECRET_KEY, collectstatic, gunicorn on 127.0.0.1 with
TLS — at PRODUCTION_URL, and share its database (DATABASE_URL) to build their people and places.
They are skipped unless PRODUCTION_URL is set, and run with the production settings
(`--ds=citygrid.settings`), not the suite's. The browser is the end-to-end tests' (tests/e2e)."""
import os
from pathlib import Path

import pytest

PRODUCTION_URL = os.environ.get("PRODUCTION_URL", "").rstrip("/")


HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    # The hook sees the whole session's items: only this folder's are skipped.
    if not PRODUCTION_URL:
        skip = pytest.mark.skip(reason="no server under test: set PRODUCTION_URL (see .ci/run, pass 3)")
        for item in items:
            if HERE in Path(item.path).parents:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup():
    """The server's own database, as it is: no test database is created, nothing is rolled back
    (the server must see what the tests build)."""
