"""Benchmark of grids.locator: builds a 20,000-grid synthetic index (200 x 100 irregular
quadrilaterals tiling a plane, no database) and times single-point locate() calls on one core.
Run: .venv/bin/python bench/locator.py [--points N]; writes bench/results/locator.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")

import django  # noqa: E402

django.setup()

import shapely  # noqa: E402

from grids.locator import GridIndex, OutsideCityError  # noqa: E402

COLUMNS, ROWS = 200, 100
ORIGIN_LON, ORIGIN_LAT = 112.90, 28.10
STEP = 0.001  # about 98 m x 111 m at this latitude: a 万米 grid
JITTER = 0.3  # interior vertices move up to 30 % of a step, so no two grids are alike


def synthetic_rows(seed: int = 20260701) -> list[tuple]:
    """A tiling by quadrilaterals: a lattice of shared vertices, interior ones jittered, border
    vertices kept on the border so the union is a rectangle."""
    rnd = random.Random(seed)
    vertices = {}
    for i in range(COLUMNS + 1):
        for j in range(ROWS + 1):
            dx = 0.0 if i in (0, COLUMNS) else rnd.uniform(-JITTER, JITTER) * STEP
            dy = 0.0 if j in (0, ROWS) else rnd.uniform(-JITTER, JITTER) * STEP
            vertices[i, j] = (ORIGIN_LON + i * STEP + dx, ORIGIN_LAT + j * STEP + dy)
    rows = []
    for j in range(ROWS):
        for i in range(COLUMNS):
            ring = [vertices[i, j], vertices[i + 1, j], vertices[i + 1, j + 1], vertices[i, j + 1], vertices[i, j]]
            # 10 streets x 20 communities x 100 grids, numbered west→east then north→south; ids synthetic.
            community = (j // 10) * 20 + i // 10
            street, in_street = community // 20 + 1, community % 20 + 1
            sequence = (9 - j % 10) * 10 + i % 10 + 1
            code = f"430102{street:03d}{in_street:03d}{sequence:03d}"
            rows.append((code, shapely.Polygon(ring), j * COLUMNS + i + 1, community + 1, street, 1,
                         (j * COLUMNS + i) // 25 + 1))
    return rows


def time_lookups(locate, points) -> tuple[float, int]:
    outside = 0
    started = time.perf_counter()
    for lon, lat in points:
        try:
            locate(lon, lat)
        except OutsideCityError:
            outside += 1
    return time.perf_counter() - started, outside


def strtree_locator(rows):
    """The alternative measured against: a shapely STRtree queried with a Point per lookup."""
    codes = [r[0] for r in rows]
    tree = shapely.STRtree([r[1] for r in rows])

    def locate(lon, lat):
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        if not len(hits):
            raise OutsideCityError(lon, lat)
        return min(codes[h] for h in hits)

    return locate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--cells-per-grid-side", type=float, default=4.0)
    parser.add_argument("--compare", action="store_true", help="also time a plain STRtree locator")
    args = parser.parse_args()

    rows = synthetic_rows()
    started = time.perf_counter()
    index = GridIndex(rows, cells_per_grid_side=args.cells_per_grid_side)
    build_seconds = time.perf_counter() - started

    rnd = random.Random(7)
    points = [(ORIGIN_LON + rnd.random() * COLUMNS * STEP, ORIGIN_LAT + rnd.random() * ROWS * STEP)
              for _ in range(args.points)]

    # Correctness on a sample: the answer is the smallest code among the grids covering the point.
    tree = shapely.STRtree([r[1] for r in rows])
    codes = [r[0] for r in rows]
    sample = points[:2000] + [(ORIGIN_LON + i * STEP, ORIGIN_LAT + j * STEP) for i in range(1, 30) for j in range(1, 30)]
    for lon, lat in sample:
        expected = min(codes[h] for h in tree.query(shapely.Point(lon, lat), predicate="intersects"))
        assert index.locate(lon, lat).unit_grid_code == expected, (lon, lat)

    time_lookups(index.locate, points[:5000])  # warm up
    seconds, outside = time_lookups(index.locate, points)
    rate = len(points) / seconds
    result = {
        "grids": len(index),
        "points": len(points),
        "outside": outside,
        "build_seconds": round(build_seconds, 3),
        "lookup_seconds": round(seconds, 3),
        "lookups_per_second": round(rate),
        "microseconds_per_lookup": round(seconds / len(points) * 1e6, 2),
        "index": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in index.stats.items()},
        "method": f"uniform bucket grid ({args.cells_per_grid_side:g} cells per grid side) + prepared polygons",
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if args.compare:
        compare_points = points[:50_000]
        strtree_seconds, _ = time_lookups(strtree_locator(rows), compare_points)
        result["strtree_lookups_per_second"] = round(len(compare_points) / strtree_seconds)

    print(f"built {len(index):,} grids in {build_seconds:.2f} s "
          f"({result['index']['interior_cells']:,} interior / {result['index']['boundary_cells']:,} boundary cells)")
    print(f"{len(points):,} single-point lookups in {seconds:.2f} s: {rate:,.0f} lookups/s "
          f"({result['microseconds_per_lookup']} µs each, {outside} outside)")
    if args.compare:
        print(f"plain STRtree for comparison: {result['strtree_lookups_per_second']:,} lookups/s")
    out = ROOT / "bench" / "results" / "locator.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
