"""Changde 2016, as published: 257,421 reports, 201,260 filed, 173,099 due for handling, 170,929
handled, 170,103 handled on time; 立案率 78.18 %, 处置率 98.75 %, 按期处置率 99.52 % (on time over
handled). Generates matching case records in bulk, at full size or scaled down with the same
published percentages (SCALED: ÷46, checked to match all four to two decimals)."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cases.models import Case, Source, State
from citygrid.testing import case_ids_give

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Figures:
    reports: int
    filed: int
    due: int
    handled: int
    on_time: int


FULL = Figures(257_421, 201_260, 173_099, 170_929, 170_103)
SCALED = Figures(5_596, 4_375, 3_763, 3_716, 3_698)  # FULL ÷ 46, rounded
PUBLISHED = {"filing_rate": "78.18", "handling_rate": "98.75", "ontime_handling_rate": "98.27",
             "ontime_over_handled": "99.52"}
SOURCES = [Source.COLLECTOR] * 7 + [Source.HOTLINE_12319, Source.HOTLINE_12345, Source.PUBLIC]


def changde_cases_create(city, figures: Figures, *, chunk: int = 10_000) -> int:
    """Write the year's cases in chunks: every report in 2016; the filed ones filed an hour later;
    the due ones with a 2016 deadline, handled (on time or late) or still open; the rest of the
    filed due only in 2017; the unfiled refused (voided before filing)."""
    start = datetime(2016, 1, 1, 8, tzinfo=TZ)
    grids = city.grids
    departments = list(city.departments.values())
    minor = city.classes["garbage"]
    written = 0
    batch: list[Case] = []
    for i in range(figures.reports):
        grid = grids[i % len(grids)]
        reported = start + timedelta(minutes=(i * 2039) % (360 * 24 * 60))  # spread over the year
        fields = {"state": State.VOIDED, "voided_at": reported + timedelta(hours=1)}
        if i < figures.filed:
            deadline = reported + timedelta(days=2)
            fields = {"state": State.DISPATCHED, "filed_at": reported + timedelta(hours=1),
                      "dispatched_at": reported + timedelta(hours=2), "department": departments[i % len(departments)],
                      "handle_deadline": deadline}
            if i < figures.handled:
                on_time = i < figures.on_time
                fields.update(state=State.CLOSED, handled_at=deadline - timedelta(hours=1 if on_time else -1),
                              handled_on_time=on_time, closed_at=deadline + timedelta(hours=3),
                              closed_on_time=on_time)
            elif i >= figures.due:
                fields["handle_deadline"] = datetime(2017, 1, 10, tzinfo=TZ)  # due next year
        batch.append(Case(
            number=f"CD{i:010d}", source=SOURCES[i % len(SOURCES)], kind=minor.kind, minor=minor,
            lon=grid.center_lon, lat=grid.center_lat, unit_grid=grid, community_id=grid.community_id,
            street_id=grid.street_id, district_id=grid.district_id, responsibility_grid_id=grid.responsibility_grid_id,
            description="常德 2016", reported_at=reported, **fields,
        ))
        if len(batch) >= chunk:
            Case.objects.bulk_create(case_ids_give(batch))
            written += len(batch)
            batch = []
    Case.objects.bulk_create(case_ids_give(batch))
    return written + len(batch)
