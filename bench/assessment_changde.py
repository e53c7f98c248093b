"""Benchmark-sized published-figures check: Changde 2016 at full size (257,421 cases) in a
throwaway test database (SQLite in memory, or test_<name> on PostgreSQL with DATABASE_URL).
Prints the city's 立案率 / 处置率 / 按期处置率 with the default catalogue and with Changde's own
(on time over handled), and how long writing and computing took; exits 1 if a figure differs
from the published one. Run: .venv/bin/python bench/assessment_changde.py
Writes bench/results/assessment_changde.json.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.test_settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402


def main() -> int:
    from assessment.catalogue import DEFAULT_CATALOGUE_NAME
    from assessment.models import IndicatorCatalogue, ObjectType, Snapshot
    from assessment.scoring import percent
    from assessment.services import (
        assessment_compute,
        catalogue_activate,
        catalogue_copy,
        catalogue_install_default,
        indicator_update,
    )
    from assessment.tests.changde import FULL, PUBLISHED, changde_cases_create
    from citygrid.testing import tiny_city_build

    city = tiny_city_build()
    catalogue = IndicatorCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).first() or \
        catalogue_install_default(activate=True)
    catalogue = catalogue_activate(catalogue=catalogue)
    timings = {}
    started = time.perf_counter()
    changde_cases_create(city, FULL)
    timings["write_cases_s"] = round(time.perf_counter() - started, 2)

    def figures(using=None) -> dict:
        began = time.perf_counter()
        assessment_compute(period="2016", object_type=ObjectType.REGION, levels=["city"], catalogue=using)
        elapsed = time.perf_counter() - began
        snaps = {s.indicator_code: s for s in Snapshot.objects.filter(period__label="2016", level="city",
                                                                       object_id=city.city.pk)}
        return {"seconds": round(elapsed, 3), **{
            code: {"numerator": snaps[code].numerator, "denominator": snaps[code].denominator,
                   "percent": str(percent(snaps[code].rate))}
            for code in ("filing_rate", "handling_rate", "ontime_handling_rate")}}

    default = figures()
    began = time.perf_counter()
    run = assessment_compute(period="2016", object_type=ObjectType.REGION)
    timings["all_region_levels_s"] = round(time.perf_counter() - began, 3)
    began = time.perf_counter()
    assessment_compute(period="2016", object_type=ObjectType.DEPARTMENT)
    timings["departments_s"] = round(time.perf_counter() - began, 3)

    changde = catalogue_copy(catalogue=catalogue, name="常德口径")
    indicator_update(indicator=changde.indicators.get(object_type=ObjectType.REGION, code="ontime_handling_rate"),
                     denominator="handled")
    changde.refresh_from_db()
    own = figures(changde)

    result = {
        "database": connection.vendor, "python": platform.python_version(), "cases": FULL.reports,
        "published": PUBLISHED, "default_catalogue": default, "changde_catalogue": own, "timings": timings,
        "region_objects": run.composites,
    }
    checks = [
        default["filing_rate"]["percent"] == PUBLISHED["filing_rate"],
        default["handling_rate"]["percent"] == PUBLISHED["handling_rate"],
        default["ontime_handling_rate"]["percent"] == PUBLISHED["ontime_handling_rate"],
        own["ontime_handling_rate"]["percent"] == PUBLISHED["ontime_over_handled"],
        (default["filing_rate"]["numerator"], default["filing_rate"]["denominator"]) == (FULL.filed, FULL.reports),
        (default["handling_rate"]["numerator"], default["handling_rate"]["denominator"]) == (FULL.handled, FULL.due),
    ]
    result["ok"] = all(checks)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    out = ROOT / "bench" / "results" / "assessment_changde.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        code = main()
    finally:
        teardown_databases(databases, verbosity=0)
    sys.exit(code)
