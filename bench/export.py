"""The case search's Excel export in one process, as a web worker would serve it: peak resident
memory and time for N cases (issue 7: 100,000 cases under 500 MB). Run by bench/run.py against
its database; on its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citygrid_bench .venv/bin/python bench/export.py --rows 100000

The request goes through Django's whole stack (middleware, login, the search form, the view) with
the search unfiltered for a city-wide user and the export's row cap set to N, so exactly the first
N cases of the search's order are written. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import memory_mb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--user", type=int, help="user id (default: the first city-wide operator)")
    parser.add_argument("--out", default="", help="keep the file here (default: count its bytes only)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from cases import views
    from grids.models import Role, User

    user = (User.objects.get(pk=args.user) if args.user else
            User.objects.filter(role=Role.OPERATOR, region__level=1, is_active=True).order_by("pk").first())
    client = Client()
    client.force_login(user)
    views.EXPORT_MAX_ROWS = args.rows
    before = memory_mb()
    started = time.perf_counter()
    response = client.get(reverse("cases:export"))
    size = 0
    out = open(args.out, "wb") if args.out else None  # noqa: SIM115 — closed below
    for chunk in response.streaming_content:
        size += len(chunk)
        if out:
            out.write(chunk)
    if out:
        out.close()
    seconds = time.perf_counter() - started
    print(json.dumps({
        "rows": args.rows, "status": response.status_code, "bytes": size, "seconds": round(seconds, 1),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(memory_mb(field="VmHWM"), 1),
    }))


if __name__ == "__main__":
    main()
