"""The default indicator catalogue (GB/T 30428.4 / CJ/T 292 practice), as data, and
its installer — used by the data migration (with historical models) and by the admin's
"install default" action. A city edits the installed rows, never this file."""

# Volume bands: [monthly lower bound, score]; per region level where sizes differ.
REGION_FILED_BANDS = {
    "city": [[0, 40], [1, 60], [2000, 80], [10000, 100]],
    "district": [[0, 40], [1, 60], [500, 80], [2000, 100]],
    "street": [[0, 40], [1, 60], [100, 80], [400, 100]],
    "community": [[0, 40], [1, 60], [20, 80], [80, 100]],
    "grid": [[0, 40], [1, 60], [3, 80], [10, 100]],
    "default": [[0, 40], [1, 60], [20, 80], [80, 100]],
}
DEPARTMENT_FILED_BANDS = {"default": [[0, 40], [1, 60], [50, 80], [200, 100]]}
DESK_VOLUME_BANDS = {"default": [[0, 0], [1, 60], [300, 80], [800, 100]]}


def _i(code, name, numerator, denominator="", weight=0, direction="higher", bands=None, description=""):
    return {"code": code, "name": name, "kind": "ratio" if denominator else "count", "numerator": numerator,
            "denominator": denominator, "weight": weight, "direction": direction, "bands": bands or {},
            "description": description}


_CASE_RATES = [
    _i("filing_rate", "立案率", "filed", "reports"),
    _i("handling_rate", "处置率", "handled", "due_handle"),
    _i("ontime_handling_rate", "按期处置率", "handled_on_time", "due_handle"),
    _i("closing_rate", "结案率", "closed", "due_close"),
    _i("ontime_closing_rate", "按期结案率", "closed_on_time", "due_close"),
    _i("rework_rate", "返工率", "reworked", "handled", direction="lower"),
]


def _with(rates: list[dict], **weights) -> list[dict]:
    return [{**row, "weight": weights.get(row["code"], row["weight"])} for row in rates]


# The hotline's four rates (办结率, 及时反馈率, 回访率, 满意率): one definition each, read by the
# assessment of its lines and agents and by the hotline's own figures (assessment.hotline).
HOTLINE_RATES = [
    _i("closure_rate", "办结率", "closed", "taken", 25, description="受理的案件中已结案的比例"),
    _i("timely_feedback_rate", "及时反馈率", "fed_back_on_time", "closed", 25,
       description="办结的案件中按时答复市民的比例"),
    _i("callback_rate", "回访率", "called_back", "closed", 25, description="办结的案件中已回访的比例"),
    _i("satisfaction_rate", "满意率", "satisfied", "called_back", 25,
       description="回访中满意、基本满意的比例"),
    _i("calls_volume", "来电量", "calls", bands=DESK_VOLUME_BANDS),
]

DEFAULT_INDICATORS: dict[str, list[dict]] = {
    "region": [
        *_with(_CASE_RATES, closing_rate=30, ontime_closing_rate=40),
        _i("public_report_rate", "监督举报率", "public_reports", "reports", 10, "lower",
           description="公众、热线等渠道上报占上报数的比例：越低说明监督员发现问题越及时"),
        _i("filed_volume", "立案数", "filed", "", 20, bands=REGION_FILED_BANDS),
        _i("valid_report_rate", "有效上报率", "valid_reports", "collector_reports"),
    ],
    "department": [
        _i("filed_volume", "立案数", "filed", "", 10, bands=DEPARTMENT_FILED_BANDS),
        *_with(_CASE_RATES, closing_rate=30, ontime_handling_rate=30, rework_rate=30),
        _i("extension_rate", "延期率", "extended", "due_handle", direction="lower"),
        _i("return_rate", "回退率", "returned", "filed", direction="lower"),
    ],
    "collector": [
        _i("valid_report_rate", "有效上报率", "valid_reports", "reports", 40),
        _i("missed_rate", "漏报率", "missed", "grid_valid", 20, "lower"),
        _i("ontime_verify_rate", "按时核实率", "verify_on_time", "verify_due", 20),
        _i("ontime_check_rate", "按时核查率", "check_on_time", "check_due", 20),
    ],
    "operator": [
        _i("accepted_volume", "受理数", "accepted", "", 25, bands=DESK_VOLUME_BANDS),
        _i("ontime_verify_send_rate", "核实任务按时下发率", "verify_sent_on_time", "verify_sent", 40),
        _i("ontime_check_send_rate", "核查任务按时下发率", "check_sent_on_time", "check_sent", 35),
        _i("ontime_accept_rate", "按时受理率", "accepted_on_time", "accepted"),
    ],
    "shift_leader": [
        _i("ontime_filing_rate", "按时立案率", "filed_on_time", "filed", 25),
        _i("accurate_filing_rate", "准确立案率", "accurate_filed", "filed", 40),
        _i("ontime_closing_rate", "按时结案率", "closed_on_time", "closed", 35),
    ],
    "dispatcher": [
        _i("dispatched_volume", "派遣数", "dispatched", "", 20, bands=DESK_VOLUME_BANDS),
        _i("ontime_dispatch_rate", "按时派遣率", "dispatched_on_time", "due_dispatch", 40),
        _i("accurate_dispatch_rate", "准确派遣率", "accurate_dispatched", "dispatched", 40),
    ],
    "hotline_line": HOTLINE_RATES,
    "hotline_agent": HOTLINE_RATES,
}

# The minimum volume of each object type (参评门槛): an object whose counters here sum below the
# minimum had nothing to assess and is "不参评" (no composite, grade or rank), never 100 or A on a
# stray 0/1 rate. Regions need none: without cases no rate applies and they are unranked anyway.
DEFAULT_PARTICIPATION = {
    "department": {"counters": ["filed", "due_handle", "due_close"], "minimum": 1},
    "collector": {"counters": ["reports", "verify_due", "check_due"], "minimum": 1},
    "operator": {"counters": ["accepted", "verify_sent", "check_sent"], "minimum": 1},
    "shift_leader": {"counters": ["filed", "closed"], "minimum": 1},
    "dispatcher": {"counters": ["dispatched"], "minimum": 1},
    "hotline_line": {"counters": ["calls"], "minimum": 1},
    "hotline_agent": {"counters": ["calls"], "minimum": 1},
}

DEFAULT_CATALOGUE_NAME = "默认指标体系（GB/T 30428.4）"


def catalogue_install(catalogue_model, indicator_model, *, name: str = DEFAULT_CATALOGUE_NAME,
                      activate: bool = True, note: str = ""):
    """Create a catalogue holding the default indicators. Works with the historical models of a
    migration as well as the real ones."""
    if activate:
        catalogue_model.objects.filter(is_active=True).update(is_active=False)
    # A migration's historical models may predate some fields (participation, kind): only theirs.
    catalogue_fields = {f.name for f in catalogue_model._meta.get_fields()}
    indicator_fields = {f.name for f in indicator_model._meta.get_fields()}
    extra = {"participation": DEFAULT_PARTICIPATION} if "participation" in catalogue_fields else {}
    catalogue = catalogue_model.objects.create(
        name=name, is_active=activate, **extra,
        note=note or "GB/T 30428.4 / CJ/T 292 实践的默认指标与权重。可在后台修改：每次修改版本号加一。",
    )
    indicator_model.objects.bulk_create([
        indicator_model(catalogue=catalogue, object_type=object_type, order=order,
                        **{key: value for key, value in row.items() if key in indicator_fields})
        for object_type, rows in DEFAULT_INDICATORS.items()
        for order, row in enumerate(rows, start=1)
    ])
    return catalogue
