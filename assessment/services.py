"""Writes of the assessment: computing a period (counters → snapshots → composites, grades and
ranks), freezing it, recomputing a frozen period with an audit row, and editing the catalogue
(every edit bumps its version).

A quarter's and a year's assessment is computed from its months: each counter is the sum of the
months' counters (each month computed first unless it is frozen, then kept as frozen), and the
rates, scores, grades and ranks are computed from those sums — not the mean of the monthly rates.
A case that crosses a month's end counts as each month counted it (due and overdue at the end of
one month, handled in the next), as the monthly bulletins did.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, PermissionDeniedError
from core.pgcopy import copy_lines, copy_text
from grids.models import Role, User

from .catalogue import DEFAULT_CATALOGUE_NAME, catalogue_install
from .counters import PATROL, counter_get, counter_keys, counters_empty
from .counting import counters_stream
from .durations import DURATION_TYPES, DURATIONS, duration_keys, durations_count, durations_merge
from .filters import filtered_key, filters_errors, filters_normalise
from .models import (
    Composite,
    ComputeRun,
    Indicator,
    IndicatorCatalogue,
    IndicatorKind,
    ObjectType,
    Period,
    RecomputeAudit,
    Snapshot,
    Trigger,
)
from .objects import levels_of, objects_list
from .periods import local_today, period_spec_parse, window_for
from .scoring import (
    ScoredItem,
    adjustment_of,
    bands_validate,
    composite_of,
    duration_hours,
    grade_of,
    ranks_of,
    rate_of,
    ratio_figure,
    score_duration,
    score_ratio,
    score_volume,
    volume_factor,
)

MANAGER_ROLES = {Role.MANAGER, Role.ADMIN}


def can_manage_assessment(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role in MANAGER_ROLES))


def can_read_assessment(user: User | None) -> bool:
    """Managers read the whole assessment (a district's managers their district's); a
    department's people read their own department's result, drill-downs and bulletin lines."""
    return can_manage_assessment(user) or bool(
        user and user.is_authenticated and user.is_active and user.role == Role.HANDLER and user.department_id)


# --- periods and catalogue -------------------------------------------------------------------------

def period_get_or_create(*, label: str) -> Period:
    spec = period_spec_parse(label)
    period, _created = Period.objects.get_or_create(
        label=spec.label, defaults={"kind": spec.kind, "start": spec.start, "end": spec.end}
    )
    return period


def catalogue_active() -> IndicatorCatalogue:
    catalogue = IndicatorCatalogue.objects.filter(is_active=True).first()
    if catalogue is None:
        raise ApplicationError(_("没有启用的指标体系，请在后台启用一个（或安装默认指标体系）。"))
    return catalogue


def catalogue_touch(*, catalogue: IndicatorCatalogue, actor: User | None = None) -> IndicatorCatalogue:
    """Record a change of the catalogue or of its indicators: the next computation uses it and
    stores the new version."""
    IndicatorCatalogue.objects.filter(pk=catalogue.pk).update(version=F("version") + 1, updated_by=actor,
                                                                updated_at=timezone.now())
    catalogue.refresh_from_db(fields=["version", "updated_by", "updated_at"])
    return catalogue


def indicator_errors(*, object_type: str, numerator: str, denominator: str, weight, bands,
                     kind: str | None = None, numerator_filters=None, denominator_filters=None,
                     points=None, decimals=2) -> dict[str, str]:
    """What is wrong with an indicator's definition, by field: counters its object type does not
    count, filters that do not read or cannot apply, a ratio without a denominator, a volume
    indicator weighed without bands, a deduction without points, bands that do not read. The
    admin's form and indicator_update both ask; the model does not (its module sits below the
    counters)."""
    kind = kind or (IndicatorKind.RATIO if denominator else IndicatorKind.COUNT)
    if kind in DURATION_KINDS:
        return _duration_errors(object_type=object_type, numerator=numerator, denominator=denominator,
                                weight=weight, bands=bands, numerator_filters=numerator_filters,
                                denominator_filters=denominator_filters, decimals=decimals)
    keys = counter_keys(object_type)
    errors = {}
    if numerator not in keys:
        errors["numerator"] = _("“%(key)s”不是该考核对象的计数项。可选：%(keys)s") % {
            "key": numerator, "keys": "、".join(sorted(keys))}
    if denominator and denominator not in keys:
        errors["denominator"] = _("“%(key)s”不是该考核对象的计数项。") % {"key": denominator}
    if kind == IndicatorKind.RATIO and not denominator:
        errors["denominator"] = _("比率指标需要分母。")
    if kind != IndicatorKind.RATIO and denominator:
        errors["denominator"] = _("只有比率指标有分母；数量、扣分、加分指标请留空。")
    for field, base, filters in (("numerator_filters", numerator, numerator_filters),
                                 ("denominator_filters", denominator, denominator_filters)):
        problems = filters_errors(filters)
        if not problems and filters_normalise(filters) and base in keys:
            counter = counter_get(object_type, base)
            if counter.derived or counter.source == PATROL:
                problems = [_("计数项“%(label)s”由其他计数项推算或来自巡查，不能筛选。") % {"label": counter.label}]
            elif len(filtered_key(base, filters)) > 200:
                problems = [_("筛选条件过长。")]
        if problems:
            errors[field] = " ".join(problems)
    if kind == IndicatorKind.COUNT and weight and not bands:
        errors["bands"] = _("数量指标计分需要分档。")
    if kind in (IndicatorKind.DEDUCTION, IndicatorKind.BONUS) and not points:
        errors["points"] = _("扣分、加分指标需要每次分值。")
    if decimals is not None and not 0 <= int(decimals) <= 4:
        errors["decimals"] = _("小数位数应在 0–4 之间。")
    if bands:
        problem = bands_validate(bands)
        if problem:
            errors["bands"] = problem
    return errors


DURATION_KINDS = (IndicatorKind.AVERAGE, IndicatorKind.MEDIAN)


def _duration_errors(*, object_type, numerator, denominator, weight, bands, numerator_filters,
                     denominator_filters, decimals) -> dict[str, str]:
    """What is wrong with an average or median indicator: its numerator names a duration
    (assessment.durations) of an object type that has it, no denominator, bands to be weighed."""
    errors = {}
    if object_type not in DURATION_TYPES:
        errors["kind"] = _("平均用时、用时中位数指标只适用于：%(types)s") % {
            "types": "、".join(str(ObjectType(t).label) for t in DURATION_TYPES)}
    if numerator not in DURATIONS:
        errors["numerator"] = _("“%(key)s”不是用时项。可选：%(keys)s") % {
            "key": numerator, "keys": "、".join(DURATIONS)}
    if denominator:
        errors["denominator"] = _("用时指标没有分母，请留空。")
    if filters_normalise(denominator_filters):
        errors["denominator_filters"] = _("用时指标没有分母筛选，请留空。")
    problems = filters_errors(numerator_filters)
    if problems:
        errors["numerator_filters"] = " ".join(problems)
    if weight and not bands:
        errors["bands"] = _("用时指标计分需要分档（[小时, 得分]）。")
    elif bands and (problem := bands_validate(bands)):
        errors["bands"] = problem
    if decimals is not None and not 0 <= int(decimals) <= 4:
        errors["decimals"] = _("小数位数应在 0–4 之间。")
    return errors


def indicator_definition_errors(indicator: Indicator) -> dict[str, str]:
    return indicator_errors(
        object_type=indicator.object_type, numerator=indicator.numerator, denominator=indicator.denominator,
        weight=indicator.weight, bands=indicator.bands, kind=indicator.kind,
        numerator_filters=indicator.numerator_filters, denominator_filters=indicator.denominator_filters,
        points=indicator.points, decimals=indicator.decimals)


def participation_errors(participation) -> str:
    """'' when a catalogue's participation thresholds read, else the problem in words."""
    if participation in (None, "", {}):
        return ""
    if not isinstance(participation, dict):
        return _("参评门槛应为按考核对象的字典。")
    for object_type, rule in participation.items():
        if object_type not in ObjectType.values:
            return _("“%(type)s”不是考核对象。可选：%(types)s") % {"type": object_type, "types": "、".join(ObjectType.values)}
        if not isinstance(rule, dict) or not isinstance(rule.get("counters"), list) or not rule["counters"]:
            return _("%(type)s 的门槛应为 {\"counters\": [计数项…], \"minimum\": 数量}。") % {"type": object_type}
        unknown = [key for key in rule["counters"] if key not in counter_keys(object_type)]
        if unknown:
            return _("“%(keys)s”不是%(type)s的计数项。") % {"keys": "、".join(map(str, unknown)),
                                                       "type": ObjectType(object_type).label}
        if not isinstance(rule.get("minimum"), int) or rule["minimum"] < 0:
            return _("%(type)s 的最低工作量应为非负整数。") % {"type": ObjectType(object_type).label}
    return ""


def indicator_update(*, indicator: Indicator, actor: User | None = None, **changes) -> Indicator:
    """Change an indicator's definition (denominator, weight, bands, …), validated, and bump its
    catalogue's version in the same transaction."""
    allowed = {"name", "kind", "numerator", "numerator_filters", "denominator", "denominator_filters", "direction",
               "weight", "bands", "rounding", "decimals", "target", "points", "cap", "order", "description"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        for field, value in changes.items():
            setattr(indicator, field, value)
        indicator.full_clean()
        errors = indicator_definition_errors(indicator)
        if errors:
            raise ValidationError(errors)
        indicator.save()
        catalogue_touch(catalogue=indicator.catalogue, actor=actor)
    return indicator


def catalogue_activate(*, catalogue: IndicatorCatalogue, actor: User | None = None) -> IndicatorCatalogue:
    with transaction.atomic():
        IndicatorCatalogue.objects.filter(is_active=True).exclude(pk=catalogue.pk).update(is_active=False)
        IndicatorCatalogue.objects.filter(pk=catalogue.pk).update(is_active=True)
        catalogue_touch(catalogue=catalogue, actor=actor)
        catalogue.refresh_from_db()
    return catalogue


def catalogue_copy(*, catalogue: IndicatorCatalogue, name: str, actor: User | None = None) -> IndicatorCatalogue:
    """A new, inactive catalogue with the same indicators: the way to try a city's own definitions."""
    with transaction.atomic():
        copy = IndicatorCatalogue.objects.create(name=name, note=_("复制自 %(name)s") % {"name": catalogue},
                                                 participation=catalogue.participation, updated_by=actor)
        fields = [f.attname for f in Indicator._meta.concrete_fields if f.attname not in ("id", "catalogue_id")]
        Indicator.objects.bulk_create([
            Indicator(catalogue=copy, **{name: getattr(row, name) for name in fields})
            for row in catalogue.indicators.all()
        ])
    return copy


def catalogue_install_default(*, name: str = DEFAULT_CATALOGUE_NAME, activate: bool = False) -> IndicatorCatalogue:
    with transaction.atomic():
        return catalogue_install(IndicatorCatalogue, Indicator, name=name, activate=activate)


# --- computing -----------------------------------------------------------------------------------------

# A snapshot row, as _results_for builds it: three tuples, (head, indicator, values), in these
# columns. Not model instances: a million-case month has about 200,000 rows, and Model.__init__
# alone cost seconds. The head is shared by an object's rows, the indicator part by the rows of one
# indicator and the values by the rows with the same counts, so COPY formats each part once.
SNAPSHOT_HEAD = ("period_id", "object_type", "level", "object_id", "catalogue_id", "catalogue_version", "computed_at")
SNAPSHOT_INDICATOR = ("indicator_code", "indicator_name", "kind", "numerator_key", "denominator_key", "direction",
                      "weight", "target", "order")
SNAPSHOT_VALUES = ("numerator", "denominator", "rate", "value", "score", "applicable")
SNAPSHOT_COLUMNS = SNAPSHOT_HEAD + SNAPSHOT_INDICATOR + SNAPSHOT_VALUES
COMPOSITE_COLUMNS = tuple(f.attname for f in Composite._meta.concrete_fields if not f.primary_key)


@dataclass(slots=True)
class CompositeRow:
    """A Composite to be written (the model's columns; a plain object is 50 times cheaper to make)."""

    period_id: int
    object_type: str
    level: str
    object_id: int
    catalogue_id: int
    catalogue_version: int
    computed_at: datetime
    object_code: str
    object_name: str
    parent_name: str
    district_id: int | None
    counters: dict
    score: Decimal | None
    grade: str
    participating: bool = True
    rank: int | None = None
    ranked_count: int = 0


def indicator_keys(indicator: Indicator) -> tuple[str, str]:
    """The counter keys of the indicator's numerator and denominator, filters included. An average
    is the minutes summed over the steps timed; a median's numerator is the steps timed."""
    if indicator.kind in DURATION_KINDS:
        keys = duration_keys(indicator.numerator, indicator.numerator_filters)
        return (keys["sum"], keys["n"]) if indicator.kind == IndicatorKind.AVERAGE else (keys["n"], "")
    denominator = filtered_key(indicator.denominator, indicator.denominator_filters) if indicator.denominator else ""
    return filtered_key(indicator.numerator, indicator.numerator_filters), denominator


def _indicator_scorer(indicator: Indicator, factor: Decimal):
    """score(values, level) -> (numerator, denominator, rate, value, score, applicable) for one
    indicator, memoised (one shared tuple per distinct input): the scoring functions are pure and
    most objects (unit grids) share a few small counts, so the Decimal arithmetic runs once per
    distinct input instead of once per object."""
    cache: dict = {}
    numerator_key, denominator_key = indicator_keys(indicator)
    kind = indicator.kind
    if kind in DURATION_KINDS:
        return _duration_scorer(indicator, cache)
    if kind == IndicatorKind.COUNT:
        bands = indicator.bands

        def score(values, level):
            numerator = values.get(numerator_key, 0)
            key = (numerator, level)
            if key not in cache:
                # Without bands a count is shown, not scored (no fake 0 or 100).
                points = score_volume(numerator, bands, level, factor) if bands else None
                cache[key] = (numerator, None, None, Decimal(numerator), points, True)
            return cache[key]
    elif kind in (IndicatorKind.DEDUCTION, IndicatorKind.BONUS):
        points, cap, bonus = indicator.points, indicator.cap, kind == IndicatorKind.BONUS

        def score(values, level):
            numerator = values.get(numerator_key, 0)
            if numerator not in cache:
                adjustment = adjustment_of(numerator, points, cap, bonus=bonus)
                cache[numerator] = (numerator, None, None, abs(adjustment), adjustment, True)
            return cache[numerator]
    else:
        direction, decimals, rounding = indicator.direction, indicator.decimals, indicator.rounding

        def score(values, level):
            key = (values.get(numerator_key, 0), values.get(denominator_key, 0))
            if key not in cache:
                points = score_ratio(*key, direction, rounding)
                cache[key] = (*key, rate_of(*key), ratio_figure(*key, decimals, rounding), points,
                              points is not None)
            return cache[key]
    return score


def _duration_scorer(indicator: Indicator, cache: dict):
    """The scorer of an average (the exact quotient of the minutes summed and the steps timed) or
    a median (the stored median minutes), published in hours."""
    keys = duration_keys(indicator.numerator, indicator.numerator_filters)
    average = indicator.kind == IndicatorKind.AVERAGE
    decimals, rounding, bands, direction = indicator.decimals, indicator.rounding, indicator.bands, indicator.direction

    def score(values, level):
        timed = values.get(keys["n"], 0)
        measured = values.get(keys["sum"] if average else keys["median"], 0)
        key = (timed, measured, level)
        if key not in cache:
            minutes = None
            if timed:
                minutes = Decimal(measured) / Decimal(timed) if average else Decimal(measured)
            hours = duration_hours(minutes, decimals, rounding)
            points = score_duration(hours, bands, level, direction)
            cache[key] = ((measured, timed) if average else (timed, None)) + (None, hours, points, timed > 0)
        return cache[key]
    return score


def _participates(rule: dict | None, values: dict) -> bool:
    """Whether the object did enough to be assessed: the rule's counters sum to its minimum."""
    if not rule:
        return True
    return sum(values.get(key, 0) for key in rule.get("counters", ())) >= rule.get("minimum", 0)


def _results_for(*, period: Period, object_type: str, level: str | None, counters: dict[int, dict[str, int]],
                 indicators: list[Indicator], catalogue: IndicatorCatalogue, now) -> tuple[list, list]:
    """Snapshot rows ((head, indicator, values) tuples, see SNAPSHOT_COLUMNS) and composites of one
    object type (and region level): per object, not per case."""
    factor = volume_factor((period.end - period.start).days, period.kind)
    scorers = [(indicator, _indicator_scorer(indicator, factor),
                (indicator.code, indicator.name, indicator.kind, *indicator_keys(indicator), indicator.direction,
                 indicator.weight, indicator.target, indicator.order))
               for indicator in indicators]
    weights = [(indicator.weight, indicator.is_volume, indicator.is_adjustment) for indicator in indicators]
    rule = (catalogue.participation or {}).get(object_type)
    snapshots: list[tuple] = []
    composites: list[CompositeRow] = []
    empty = counters_empty(object_type)
    composite_cache: dict[tuple, tuple[Decimal | None, str]] = {}  # scores -> (composite, grade)
    for obj in objects_list(object_type, level):
        values = counters.get(obj.id) or empty
        head = (period.pk, object_type, obj.level, obj.id, catalogue.pk, catalogue.version, now)
        scores = []
        for _indicator, scorer, part in scorers:
            scored = scorer(values, obj.level)
            scores.append(scored[4])
            snapshots.append((head, part, scored))
        participating = _participates(rule, values)
        if participating:
            # The composite depends only on the indicator scores (weights are fixed per type).
            key = tuple(scores)
            graded = composite_cache.get(key)
            if graded is None:
                score = composite_of([ScoredItem(weight, item, is_volume, is_adjustment)
                                      for (weight, is_volume, is_adjustment), item in zip(weights, scores, strict=True)])
                graded = composite_cache[key] = (score, grade_of(score))
        else:  # 不参评: figures shown, no composite, grade or rank
            graded = (None, "")
        composites.append(CompositeRow(
            period.pk, object_type, obj.level, obj.id, catalogue.pk, catalogue.version, now, obj.code, obj.name,
            obj.parent_name, obj.district_id, dict(values), *graded, participating,
        ))
    # Rank within the object type and level.
    by_level: dict[str, list[CompositeRow]] = {}
    for composite in composites:
        by_level.setdefault(composite.level, []).append(composite)
    for group in by_level.values():
        ranks = ranks_of({c.object_id: c.score for c in group})  # ids are unique within a level
        ranked = len(ranks)
        for composite in group:
            composite.rank = ranks.get(composite.object_id)
            composite.ranked_count = ranked
    return snapshots, composites


def _snapshot_lines(snapshots: list[tuple]):
    """COPY lines of (head, indicator, values) rows, each part formatted once (by identity: the
    parts are shared tuples, alive as long as `snapshots`)."""
    texts: dict[int, str] = {}
    for row in snapshots:
        line = []
        for part in row:
            text = texts.get(id(part))
            if text is None:
                text = texts[id(part)] = copy_text(part)
            line.append(text)
        yield "\t".join(line)


def _results_write(snapshots: list[tuple], composites: list[CompositeRow]) -> None:
    if connection.vendor != "postgresql":
        Snapshot.objects.bulk_create([Snapshot(**dict(zip(SNAPSHOT_COLUMNS, head + part + scored, strict=True)))
                                      for head, part, scored in snapshots], batch_size=2000)
        Composite.objects.bulk_create([Composite(**{name: getattr(c, name) for name in COMPOSITE_COLUMNS})
                                       for c in composites], batch_size=1000)
        return
    copy_lines(Snapshot, SNAPSHOT_COLUMNS, _snapshot_lines(snapshots))
    copy_lines(Composite, COMPOSITE_COLUMNS,
               (copy_text(tuple(getattr(c, name) for name in COMPOSITE_COLUMNS)) for c in composites))


def _compute_settings() -> None:
    """PostgreSQL settings for the counters' few large aggregates, for this transaction only: no JIT
    (compiling each counter query cost more than it saved; figures in bench/README.md) and enough
    work_mem to hash and sort a month in memory rather than on disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")


SUMMED_FROM_MONTHS = ("quarter", "year")


def _month_labels(period: Period) -> list[str]:
    """The labels of the months a quarter or a year is made of (up to today's month)."""
    labels, day = [], period.start
    while day < period.end and day <= local_today():
        labels.append(f"{day.year:04d}-{day.month:02d}")
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return labels


def _months_summed(months: list[str], jobs: dict[str, list[str | None]]):
    """(object type, {level: {object id: counters}}) like counting.counters_stream, each counter the
    sum of the months' stored ones (derived counters are sums and differences, so they sum too). One
    query per object type."""
    for kind, kind_levels in jobs.items():
        counted: dict = {level: {} for level in kind_levels}
        rows = Composite.objects.filter(period__label__in=months, object_type=kind)
        if kind == ObjectType.REGION:
            rows = rows.filter(level__in=kind_levels)
        for level, object_id, values in rows.values_list("level", "object_id", "counters"):
            into = counted[level if kind == ObjectType.REGION else None].setdefault(object_id, {})
            for key, value in values.items():
                into[key] = into.get(key, 0) + value
        yield kind, counted


def assessment_compute(
    *,
    period: Period | str,
    object_type: str | None = None,
    freeze: bool = False,
    levels: list[str] | None = None,
    catalogue: IndicatorCatalogue | None = None,
    trigger: str = Trigger.MANUAL,
    actor: User | None = None,
    task_name: str = "",
    now=None,
    _allow_frozen: bool = False,
) -> ComputeRun:
    """Compute (or recompute) a period for one object type or all of them, replacing its stored
    results in one transaction; safe to run twice. `levels` limits the region levels (the hourly
    run does city and districts); `catalogue` defaults to the active one (another one may be given
    to compare definitions). A frozen period is refused: see assessment_recompute_frozen."""
    if isinstance(period, str):
        period = period_get_or_create(label=period)
    if object_type is not None and object_type not in ObjectType.values:
        raise ApplicationError(_("考核对象“%(type)s”无效。可选：%(types)s") % {
            "type": object_type, "types": "、".join(ObjectType.values)}, extra={"field": "object_type"})
    catalogue = catalogue or catalogue_active()
    months = _month_labels(period) if period.kind in SUMMED_FROM_MONTHS else []
    for month in months:  # a quarter or a year sums its months: each computed first, unless frozen
        if not Period.objects.filter(label=month, frozen_at__isnull=False).exists():
            assessment_compute(period=month, object_type=object_type, levels=levels, catalogue=catalogue,
                               trigger=trigger, actor=actor, task_name=task_name, now=now)
    types = [object_type] if object_type else list(ObjectType.values)
    started = timezone.now()
    now = now or started
    outermost = not connection.in_atomic_block  # counters on parallel connections (assessment.counting)
    with transaction.atomic():
        # One computation of a period at a time: a retry or an overlapping beat run waits here,
        # then replaces the results again (idempotent), instead of interleaving deletes.
        period = Period.objects.select_for_update().get(pk=period.pk)
        if period.is_frozen and not _allow_frozen:
            raise ApplicationError(
                _("考核周期 %(label)s 已于 %(at)s 冻结；如需重算，请使用“冻结周期重算”并填写理由。")
                % {"label": period.label, "at": timezone.localtime(period.frozen_at).strftime("%Y-%m-%d %H:%M")},
                status_code=409,
            )
        _compute_settings()
        catalogue = IndicatorCatalogue.objects.get(pk=catalogue.pk)  # the version as of now
        indicators_by_type: dict[str, list[Indicator]] = {}
        for indicator in catalogue.indicators.order_by("order", "code"):
            indicators_by_type.setdefault(indicator.object_type, []).append(indicator)
        window = window_for(period.start, period.end, now=now)
        extra = {kind: [key for indicator in rows if indicator.kind not in DURATION_KINDS
                        for key in indicator_keys(indicator) if "?" in key]
                 for kind, rows in indicators_by_type.items()}
        wanted_durations = {kind: [key for indicator in rows if indicator.kind in DURATION_KINDS
                                   for key in duration_keys(indicator.numerator, indicator.numerator_filters).values()]
                            for kind, rows in indicators_by_type.items()}
        jobs: dict[str, list[str | None]] = {}
        for kind in types:
            kind_levels = levels_of(kind)
            if kind == ObjectType.REGION and levels:
                kind_levels = [level for level in kind_levels if level in levels]
            jobs[kind] = kind_levels
            stale_snapshots = Snapshot.objects.filter(period=period, object_type=kind)
            stale_composites = Composite.objects.filter(period=period, object_type=kind)
            if kind == ObjectType.REGION and levels:
                stale_snapshots = stale_snapshots.filter(level__in=kind_levels)
                stale_composites = stale_composites.filter(level__in=kind_levels)
            stale_snapshots.delete()
            stale_composites.delete()
        written = {"snapshots": 0, "composites": 0}
        # Each type's results are scored and written while the other types are still being
        # counted (assessment.counting), so the Python work hides behind the SQL.
        stream = (_months_summed(months, jobs) if months
                  else counters_stream(jobs, window, parallel=outermost, extra=extra))
        # Durations: one query over the steps for every duration indicator (assessment.durations),
        # over the period's own window for a quarter or a year too (a median is no sum of months).
        durations = durations_count({kind: jobs[kind] for kind in jobs}, window, wanted_durations)
        for kind, counted in stream:
            if kind in durations:
                counted = {level: dict(by_object) for level, by_object in counted.items()}
                durations_merge(counted, durations[kind], counters_empty(kind))
            snapshots: list[tuple] = []
            composites: list[CompositeRow] = []
            for level in jobs[kind]:
                rows, objs = _results_for(period=period, object_type=kind, level=level, counters=counted[level],
                                          indicators=indicators_by_type.get(kind, []), catalogue=catalogue,
                                          now=started)
                snapshots += rows
                composites += objs
            _results_write(snapshots, composites)
            written["snapshots"] += len(snapshots)
            written["composites"] += len(composites)
        done_levels = [level for level in jobs.get(ObjectType.REGION, []) if level]
        period.computed_at = started
        fields = ["computed_at"]
        if freeze and not period.is_frozen:
            period.frozen_at, period.frozen_by = timezone.now(), actor
            fields += ["frozen_at", "frozen_by"]
        period.save(update_fields=fields)
        run = ComputeRun.objects.create(
            period=period, object_types=",".join(types), levels=",".join(done_levels) if levels else "",
            trigger=Trigger.FREEZE if freeze and trigger == Trigger.MANUAL else trigger, task_name=task_name,
            catalogue=catalogue, catalogue_version=catalogue.version, started_at=started,
            finished_at=timezone.now(), snapshots=written["snapshots"], composites=written["composites"],
            actor=actor,
        )
    return run


def period_freeze(*, period: Period | str, actor: User | None = None, trigger: str = Trigger.FREEZE,
                  task_name: str = "") -> ComputeRun | None:
    """Compute the finished period one last time and freeze it. Already frozen: nothing to do
    (None), so the monthly task can run twice."""
    if isinstance(period, str):
        period = period_get_or_create(label=period)
    if Period.objects.filter(pk=period.pk, frozen_at__isnull=False).exists():
        return None
    if period.end > timezone.localdate():
        raise ApplicationError(_("考核周期 %(label)s 尚未结束，不能冻结。") % {"label": period.label})
    return assessment_compute(period=period, freeze=True, actor=actor, trigger=trigger, task_name=task_name)


def _composite_state(period: Period) -> dict[tuple[str, str, int], dict]:
    return {
        (row["object_type"], row["level"], row["object_id"]): row
        for row in Composite.objects.filter(period=period).values(
            "object_type", "level", "object_id", "object_name", "score", "grade", "rank", "catalogue_version")
    }


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def assessment_recompute_frozen(*, period: Period | str, actor: User, note: str) -> RecomputeAudit:
    """Recompute a frozen period on request: a manager's explicit action with a reason, recorded
    with the catalogue used and every composite or grade that changed. The period stays frozen."""
    if not (note or "").strip():
        raise ApplicationError(_("冻结周期重算必须填写理由。"), extra={"field": "note"})
    if not can_manage_assessment(actor):
        raise PermissionDeniedError(_("只有领导或系统管理员可以重算已冻结的考核周期。"))
    if isinstance(period, str):
        period = period_get_or_create(label=period)
    with transaction.atomic():
        period = Period.objects.select_for_update().get(pk=period.pk)
        if not period.is_frozen:
            raise ApplicationError(_("考核周期 %(label)s 未冻结，直接计算即可。") % {"label": period.label})
        before = _composite_state(period)
        run = assessment_compute(period=period, trigger=Trigger.RECOMPUTE, actor=actor, _allow_frozen=True)
        after = _composite_state(period)
        changes = []
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key, {}), after.get(key, {})
            if (old.get("score"), old.get("grade"), old.get("rank")) != (new.get("score"), new.get("grade"),
                                                                          new.get("rank")):
                changes.append({
                    "object_type": key[0], "level": key[1], "object_id": key[2],
                    "name": new.get("object_name") or old.get("object_name", ""),
                    "before": [_plain(old.get("score")), old.get("grade", ""), old.get("rank")],
                    "after": [_plain(new.get("score")), new.get("grade", ""), new.get("rank")],
                })
        return RecomputeAudit.objects.create(
            period=period, actor=actor, note=note.strip(), created_at=timezone.now(), catalogue=run.catalogue,
            catalogue_version=run.catalogue_version,
            previous_versions=sorted({row["catalogue_version"] for row in before.values()}),
            changes=changes, run=run,
        )
