"""Apache ECharts options for the assessment pages, built on the server as plain data (the page
hands them to echarts.setOption through json_script; echarts.min.js is served by the application).
A data item may carry a `url`: clicking it opens the drill-down."""
from decimal import Decimal

from django.utils.translation import gettext as _

GRADE_COLOURS = {"A": "#2e7d32", "B": "#7cb342", "C": "#f9a825", "D": "#ef6c00", "E": "#c62828"}


def _num(value):
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def trend_chart(trend: dict, *, title: str = "") -> dict:
    """Composite and every rate indicator (%) over the months; volumes are left to the table."""
    series = [{"name": _("综合指标值"), "type": "line", "data": [_num(v) for v in trend["composite"]],
               "connectNulls": False, "lineStyle": {"width": 3}, "symbolSize": 7}]
    for indicator in trend["indicators"]:
        values = indicator["values"]
        if indicator.get("is_volume"):
            continue  # a count, not a percentage: left to the table
        series.append({"name": indicator["name"], "type": "line", "data": [_num(v) for v in values],
                       "connectNulls": False})
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "bottom": 0},
        "grid": {"left": 48, "right": 24, "top": 40, "bottom": 56},
        "xAxis": {"type": "category", "data": trend["labels"]},
        "yAxis": {"type": "value", "min": 0, "max": 100, "name": "%"},
        "series": series,
    }


def grades_chart(rows: list[dict], labels: dict) -> dict:
    categories = [labels.get((row["object_type"], row["level"]), row["object_type"]) for row in rows]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0},
        "grid": {"left": 110, "right": 24, "top": 10, "bottom": 40},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": categories, "inverse": True},
        "series": [
            {"name": grade, "type": "bar", "stack": "grades", "itemStyle": {"color": colour},
             "data": [row["grades"].get(grade, 0) for row in rows]}
            for grade, colour in GRADE_COLOURS.items()
        ],
    }


def ranking_chart(rows: list[dict]) -> dict:
    """Horizontal bars of composite scores, coloured by grade; rows = [{name, score, grade, url}]."""
    return {
        "tooltip": {"trigger": "item"},
        "grid": {"left": 140, "right": 40, "top": 10, "bottom": 24},
        "xAxis": {"type": "value", "min": 0, "max": 100},
        "yAxis": {"type": "category", "inverse": True, "data": [row["name"] for row in rows]},
        "series": [{
            "type": "bar", "label": {"show": True, "position": "right"},
            "data": [{"value": _num(row["score"]), "url": row.get("url"),
                      "itemStyle": {"color": GRADE_COLOURS.get(row["grade"], "#90a4ae")}} for row in rows],
        }],
    }


def pareto_chart(rows: list[dict]) -> dict:
    """Reports per class (bars) and the cumulative share (line) against the 85 % mark."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 56, "right": 56, "top": 24, "bottom": 110},
        "xAxis": {"type": "category", "data": [f"{row['minor__code']} {row['minor__name']}" for row in rows],
                  "axisLabel": {"rotate": 40, "interval": 0}},
        "yAxis": [{"type": "value", "name": _("上报数"), "minInterval": 1},
                  {"type": "value", "name": "%", "min": 0, "max": 100}],
        "series": [
            {"name": _("上报数"), "type": "bar", "itemStyle": {"color": "#1565c0"},
             "data": [{"value": row["count"], "url": row.get("url")} for row in rows]},
            {"name": _("累计占比"), "type": "line", "yAxisIndex": 1, "data": [_num(row["cumulative"]) for row in rows],
             "markLine": {"silent": True, "symbol": "none", "data": [{"yAxis": 85}], "lineStyle": {"type": "dashed"}}},
        ],
    }


def source_chart(rows: list[dict]) -> dict:
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"type": "scroll", "bottom": 0},
        "series": [{
            "type": "pie", "radius": ["35%", "65%"],
            "data": [{"name": str(row["label"]), "value": row["count"], "url": row.get("url")} for row in rows],
        }],
    }


def hotspot_map(rows: list[dict], outlines: list[tuple[str, dict]] = ()) -> tuple[dict, dict]:
    """(GeoJSON for echarts.registerMap, the choropleth option). No tiles: the unit grids are the
    map (all of them as the background when given, else the hot ones), so it works on an isolated
    intranet."""
    shapes = dict(outlines) or {row["unit_grid__code"]: row["unit_grid__geometry"] for row in rows}
    features = [{"type": "Feature", "properties": {"name": code}, "geometry": geometry}
                for code, geometry in shapes.items() if geometry]
    top = max((row["reports"] for row in rows), default=1)
    option = {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
        "visualMap": {"min": 0, "max": top, "calculable": True, "left": 8, "bottom": 8,
                      "inRange": {"color": ["#fff3e0", "#ffb74d", "#e65100", "#b71c1c"]}},
        "series": [{
            "type": "map", "map": "hotspot-grids", "roam": True, "aspectScale": 0.87,
            "emphasis": {"label": {"show": False}}, "itemStyle": {"areaColor": "#f5f7fa", "borderColor": "#c9d1db",
                                                                  "borderWidth": 0.4},
            "data": [{"name": row["unit_grid__code"], "value": row["reports"], "url": row.get("url")} for row in rows],
        }],
    }
    return {"type": "FeatureCollection", "features": features}, option
