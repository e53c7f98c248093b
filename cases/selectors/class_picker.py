"""The class picker's reads: the active classes with their search keys (code, name, pinyin initials,
full pinyin), filing and closure conditions and time limits, and the classes a person files most.

Decisions:
- The rows travel to the browser inside the page (json_script), not through a request per keystroke:
  all 542 classes of both editions weigh 113 KB, 16 KB gzipped (the active edition alone 85 KB,
  12 KB gzipped), built in 2 queries and ~23 ms; matching 542 rows in the browser takes well under
  a millisecond, where the endpoint (/classes.json, for other clients) costs a round trip and
  20-30 ms of server time per keystroke. The repeated texts (conditions, major classes) travel
  once (SHARED_FIELDS: 199 -> 113 KB), in UTF-8 (cases.templatetags.class_picker: 293 -> 199 KB).
- The pinyin keys are computed once per class name per process (core.pinyin.name_pinyin, an
  lru_cache keyed on the name, so a renamed class gets new keys), with no column and no migration.
- "Most used" is the person's own last RECENT_CASES reports of the last RECENT_DAYS days, counted
  by class in one GROUP BY query.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core.pinyin import name_pinyin, pinyin_key
from grids.models import Edition, LimitUnit, MinorClass, Role, User

from ..models import Case

# Who sees the picker (the desk): everyone who enters or files a report, and their managers.
PICKER_ROLES = frozenset({Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.HOTLINE_AGENT, Role.MANAGER,
                          Role.ADMIN})
RECENT_CASES = 200
RECENT_DAYS = 90
MOST_USED_MAX = 8

def edition_active() -> str:
    """The edition new cases are filed in (settings.CLASS_EDITION)."""
    edition = getattr(settings, "CLASS_EDITION", Edition.STD2026)
    if edition not in Edition.values:
        raise ImproperlyConfigured(f"CLASS_EDITION={edition!r}: expected one of {', '.join(Edition.values)}")
    return edition


def can_pick_classes(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in PICKER_ROLES))


def class_rows(*, editions: list[str] | None = None) -> list[dict]:
    """Every active class (of these editions) as the picker's rows, in one query, in code order."""
    minors = MinorClass.objects.filter(is_active=True)
    if editions is not None:
        minors = minors.filter(edition__in=editions)
    units = {value: str(label) for value, label in LimitUnit.choices}
    kinds = {value: str(label) for value, label in MinorClass._meta.get_field("kind").choices}
    rows = []
    for (pk, code, name, edition, kind, major_code, major_name, filing, closure, unit, normal,
         urgent) in minors.order_by("edition", "kind", "code").values_list(
            "pk", "code", "name", "edition", "kind", "major__code", "major__name", "filing_conditions",
            "closure_condition", "limit_unit", "limit_normal", "limit_urgent"):
        initials, full = name_pinyin(name)
        rows.append({
            "id": pk, "code": code, "name": name, "edition": edition, "group": f"{kinds.get(kind, kind)} · "
            f"{major_code} {major_name}", "py": initials, "pinyin": full,
            "filing": [line.strip() for line in filing.splitlines() if line.strip()],
            "closure": closure.strip(), "normal": normal, "urgent": urgent, "unit": units.get(unit, unit),
        })
    return rows


def classes_most_used(user: User, *, limit: int = MOST_USED_MAX) -> list[int]:
    """The ids of the classes of the person's own recent reports, most used first (one query)."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    recent = Case.objects.filter(reporter=user, reported_at__gte=since).order_by("-reported_at").values("pk")
    counts = (Case.objects.filter(pk__in=recent[:RECENT_CASES], minor__is_active=True).order_by()
              .values("minor_id").annotate(uses=Count("pk")).order_by("-uses", "minor_id"))
    return [row["minor_id"] for row in counts[:limit]]


def class_match_rank(row: dict, query: str) -> int | None:
    """How well a row matches what was typed (lower is better), None when it does not:
    0 code prefix, 1 name prefix or pinyin initials prefix, 2 name substring, 3 full pinyin prefix,
    4 initials or full pinyin substring. The browser (citygrid/static/citygrid/js/class_picker.js)
    ranks the same way; this is the reference the tests pin."""
    query = query.strip().lower()
    if not query:
        return 0
    if query.isdigit():
        return 0 if row["code"].startswith(query) else None
    if row["name"].startswith(query):
        return 1
    key = pinyin_key(query)
    if key and row["py"].startswith(key):
        return 1
    if query in row["name"]:
        return 2
    if key and row["pinyin"].startswith(key):
        return 3
    if key and (key in row["py"] or key in row["pinyin"]):
        return 4
    return None


def class_search(rows: list[dict], query: str, *, edition: str, other_editions: bool = False,
                 most_used: list[int] = ()) -> list[dict]:
    """The rows matching `query`, of the edition unless other_editions: the person's most used
    first, then by how well they match, then the edition's own before the other's, then code."""
    used = {pk: place for place, pk in enumerate(most_used)}
    found = []
    for row in rows:
        if row["edition"] != edition and not other_editions:
            continue
        rank = class_match_rank(row, query)
        if rank is not None:
            found.append((used.get(row["id"], len(used)), rank, row["edition"] != edition, row["code"], row))
    found.sort(key=lambda entry: entry[:4])
    return [entry[-1] for entry in found]


# The row fields a page receives as an index into "texts": 542 classes share 28 filing and 27
# closure conditions, ~100 major-class labels and 2 units.
SHARED_FIELDS = ("filing", "closure", "group", "unit")


def _texts_shared(rows: list[dict]) -> tuple[list[dict], list[str]]:
    texts: dict[str, int] = {}
    compact = []
    for row in rows:
        row = dict(row, filing="\n".join(row["filing"]))
        for field in SHARED_FIELDS:
            row[field] = texts.setdefault(row[field], len(texts))
        compact.append(row)
    return compact, list(texts)


def class_picker_data(user: User, *, edition: str | None = None, other_editions: bool = True) -> dict:
    """What a page embeds for its picker (json_script): the rows (their SHARED_FIELDS as indexes
    into "texts"), the person's most used, the edition shown by default, the editions' names and
    the widget's words in the person's language. Two queries: the classes and the most used."""
    edition = edition or edition_active()
    rows, texts = _texts_shared(class_rows(editions=None if other_editions else [edition]))
    return {
        "edition": edition,
        "editions": {value: str(label) for value, label in Edition.choices},
        "editionsShort": {Edition.LEGACY: _("4位旧版"), Edition.STD2026: _("2026版")},
        "classes": rows,
        "texts": texts,
        "mostUsed": classes_most_used(user),
        "words": {
            "placeholder": _("输入代码、名称或拼音首字母"),
            "otherEdition": _("显示另一版本"),
            "mostUsed": _("常用"),
            "filing": _("立案条件"),
            "closure": _("结案条件"),
            "limits": _("处置时限"),
            "normal": _("一般"),
            "urgent": _("紧急"),
            "none": _("没有匹配的小类"),
            "more": _("还有 {n} 项，请继续输入"),
            "count": _("{n} 项"),
            "hint": _("上下键选择，回车确定，Esc 关闭"),
        },
    }
