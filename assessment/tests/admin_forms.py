"""Configure a catalogue as a city's manager would: through the admin's change form (the catalogue
and its indicators inline), not through code. Builds the POST from the form as the page renders it."""
import json

from django.test import Client

INDICATOR_FIELDS = ("object_type", "order", "code", "name", "kind", "numerator", "numerator_filters", "denominator",
                    "denominator_filters", "direction", "weight", "bands", "rounding", "decimals", "target", "points",
                    "cap", "description")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def catalogue_post(client: Client, catalogue, *, add: list[dict] = (), change: dict[str, dict] | None = None,
                   participation=None):
    """POST the catalogue's admin change form with its indicators as they are, `change`
    ({"type:code": {field: value}}) applied and `add` (rows of INDICATOR_FIELDS) appended."""
    url = f"/admin/assessment/indicatorcatalogue/{catalogue.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    formset = page.context["inline_admin_formsets"][0].formset
    prefix = formset.prefix
    rows = list(formset.queryset)
    data = {"name": catalogue.name, "note": catalogue.note,
            "participation": _text(catalogue.participation if participation is None else participation)}
    data.update({f"{prefix}-TOTAL_FORMS": len(rows) + len(add), f"{prefix}-INITIAL_FORMS": len(rows),
                 f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
    change = change or {}
    for n, row in enumerate(rows):
        values = {field: getattr(row, field) for field in INDICATOR_FIELDS}
        values.update(change.get(f"{row.object_type}:{row.code}", {}))
        for field, value in values.items():
            data[f"{prefix}-{n}-{field}"] = _text(value)
        data[f"{prefix}-{n}-id"] = row.pk
        data[f"{prefix}-{n}-catalogue"] = catalogue.pk
    for n, values in enumerate(add, start=len(rows)):
        defaults = {"order": 90 + n, "kind": "ratio", "direction": "higher", "weight": 0, "rounding": "half_up",
                    "decimals": 2, "numerator_filters": {}, "denominator_filters": {}, "bands": {}, "denominator": ""}
        for field, value in {**defaults, **values}.items():
            data[f"{prefix}-{n}-{field}"] = _text(value)
        data[f"{prefix}-{n}-catalogue"] = catalogue.pk
    return client.post(url, data)
