"""What each framework override of core/ saves, measured with and without it in one process: the
ModelSerializer's cached fields (core.api), the FilterSet's shallow copies (core.filters) and
row_by_key instead of .first() (core.queries). Run it against a database with cases (seed_demo):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citygrid_bench .venv/bin/python bench/overrides.py

Prints, for each piece and each case, CPU-µs per call with and without the override (the median of
--rounds rounds of --n calls, the two sides taking turns) and Python function calls per call (from
cProfile: the same for the same code and data, where this VM's CPU time drifts), then the SQL that
row_by_key and .first() send. "Without" puts back the framework's own method for the measurement.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")


@contextlib.contextmanager
def serializer_fields_uncached() -> Iterator[None]:
    """core.api.ModelSerializer with DRF's get_fields: the model introspected for every instance."""
    from rest_framework import serializers

    from core import api

    own = api.ModelSerializer.__dict__["get_fields"]
    api.ModelSerializer.get_fields = serializers.ModelSerializer.get_fields
    try:
        yield
    finally:
        api.ModelSerializer.get_fields = own


@contextlib.contextmanager
def filters_deep_copied(filterset_class) -> Iterator[None]:
    """core.filters.FilterSet with django-filter's own __init__ and get_form_class, and the filter
    set's filters a plain dict again: a form class built and every filter and field deep-copied
    for each request."""
    import django_filters

    from core import filters

    own = {name: filters.FilterSet.__dict__[name] for name in ("__init__", "get_form_class")}
    wrapped = filterset_class.__dict__.get("base_filters")
    form_class = filterset_class.__dict__.get("_form_class")
    for name in own:
        setattr(filters.FilterSet, name, getattr(django_filters.FilterSet, name))
    filterset_class.base_filters = dict(filterset_class.base_filters)
    if form_class is not None:
        del filterset_class._form_class
    try:
        yield
    finally:
        for name, method in own.items():
            setattr(filters.FilterSet, name, method)
        filterset_class.base_filters = wrapped
        if form_class is not None:
            filterset_class._form_class = form_class


def cpu_us(call: Callable[[], object], n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - started) / n * 1e6


def function_calls(call: Callable[[], object], n: int) -> float:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        call()
    profile.disable()
    return pstats.Stats(profile).total_calls / n


def compare(name: str, call: Callable[[], object], without: Callable[[], contextlib.AbstractContextManager],
            *, n: int, rounds: int) -> None:
    """Prints the CPU-µs and function calls of `call` with the override and inside `without()`."""
    for _ in range(max(3, n // 10)):  # warm both: caches, translations, the first compilation
        call()
        with without():
            call()
    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(cpu_us(call, n))
        with without():
            theirs.append(cpu_us(call, n))
    calls_mine = function_calls(call, n)
    with without():
        calls_theirs = function_calls(call, n)
    with_it, without_it = statistics.median(mine), statistics.median(theirs)
    print(f"  {name:40} {without_it:6.0f} → {with_it:6.0f} µs ({1 - with_it / without_it:6.1%})   "
          f"{calls_theirs:8.0f} → {calls_mine:8.0f} calls ({1 - calls_mine / calls_theirs:6.1%})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    logging.getLogger("axes").setLevel(logging.WARNING)  # its lines for the bench's own login
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cases import selectors
    from cases.api.filters import CaseFilter
    from cases.api.serializers import CaseDetailOutput, CaseListOutput
    from cases.models import Case
    from cases.selectors.scoped import ROWS_JOINED
    from core.queries import row_by_key
    from grids.models import User

    def person(role: str) -> User:
        people = User.objects.filter(role=role, is_active=True).order_by("pk")
        return people.filter(region__level=1).first() or people.first()

    operator = person("operator")
    case_id = (Case.objects.filter(state="dispatched").order_by("-reported_at").values_list("pk", flat=True).first()
               or Case.objects.order_by("-pk").values_list("pk", flat=True).first())
    if operator is None or case_id is None:
        raise SystemExit("no operator or no case: fill the database first (manage.py seed_demo)")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(operator)
    request = RequestFactory().get("/api/cases/", HTTP_HOST="127.0.0.1")
    request.user = operator
    same = {"n": args.n, "rounds": args.rounds}
    print(f"{connection.vendor}, case {case_id}: without → with the override, per call (saved)")

    print("ModelSerializer.get_fields cached (core.api)")
    case = selectors.case_detail_api(operator, case_id)
    rows = list(selectors.case_rows_complete(list(selectors.case_rows(operator).order_by("current_deadline", "pk")[:50])))
    context = {"request": request, "now": timezone.now()}
    compare("detail serializer .data", lambda: CaseDetailOutput(case, context=context).data,
            serializer_fields_uncached, **same)
    compare("list serializer .data, 50 rows",
            lambda: CaseListOutput(rows, many=True, context=context).data, serializer_fields_uncached,
            n=max(1, args.n // 10), rounds=args.rounds)
    compare("request GET /api/cases/{id}/", lambda: client.get(f"/api/cases/{case_id}/"),
            serializer_fields_uncached, n=max(1, args.n // 4), rounds=args.rounds)

    print("FilterSet shallow copies (core.filters)")
    queries = {"?number=1": "number=1", "?state=filed&ordering=deadline": "state=filed&ordering=deadline"}
    for label, query in queries.items():
        data = QueryDict(query)
        compare(f"list filter {label} (.qs)",
                lambda data=data: CaseFilter(data=data, queryset=Case.objects.all(), request=request).qs,
                lambda: filters_deep_copied(CaseFilter), **same)
    for label in queries:
        compare(f"request GET /api/cases/{label}", lambda label=label: client.get(f"/api/cases/{label}"),
                lambda: filters_deep_copied(CaseFilter), n=max(1, args.n // 4), rounds=args.rounds)

    print("row_by_key instead of .first() (core.queries)")
    lookups = {  # citygrid.auth's for every request with a session; cases.selectors' for the detail
        "user by id": lambda: User.objects.select_related("region").filter(
            pk=operator.pk),
        "case by id": lambda: selectors.cases_visible(operator).select_related(*ROWS_JOINED)
        .filter(pk=case_id),
    }

    @contextlib.contextmanager
    def first_instead() -> Iterator[None]:
        first_instead.on = True
        try:
            yield
        finally:
            first_instead.on = False

    first_instead.on = False

    def first_query(queryset):
        """The query that QuerySet.first() runs."""
        return (queryset if queryset.ordered else queryset.order_by("pk"))[:1]

    for label, queryset in lookups.items():
        compare(f"{label}, compiled",
                lambda queryset=queryset: first_query(queryset()).query.get_compiler("default").as_sql()
                if first_instead.on else queryset().order_by().query.get_compiler("default").as_sql(),
                first_instead, **same)
        compare(f"{label}, fetched",
                lambda queryset=queryset: queryset().first() if first_instead.on else row_by_key(queryset()),
                first_instead, **same)
    for label, queryset in lookups.items():
        for how, call in (("row_by_key", lambda queryset=queryset: row_by_key(queryset())),
                          (".first()", lambda queryset=queryset: queryset().first())):
            with CaptureQueriesContext(connection) as captured:
                call()
            sql = captured.captured_queries[-1]["sql"]
            print(f"  {label}, {how:10}: SELECT … {sql[sql.index(' WHERE '):]}")


if __name__ == "__main__":
    main()
