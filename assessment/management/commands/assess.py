"""`python manage.py assess --period 2026-10 [--object department|district|…] [--catalogue NAME] [--freeze]`:
compute a period (all object types, or one) and print its ranking tables, every indicator computed
with its weight (weight 0: shown, not scored)."""
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F

from assessment.models import Composite, IndicatorCatalogue, ObjectType, RegionLevelKey, Snapshot, Trigger
from assessment.periods import local_today, month_label
from assessment.services import assessment_compute, period_freeze, period_get_or_create
from assessment.templatetags.assessment_format import composite_text, figure_text, rank_text
from core.errors import ApplicationError


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text, size: int, right: bool = False) -> str:
    text = "" if text is None else str(text)
    space = " " * max(0, size - width(text))
    return space + text if right else text + space


class Command(BaseCommand):
    help = "Compute the assessment of a period and print the ranking table(s)."

    def add_arguments(self, parser):
        parser.add_argument("--period", default="", help="2026-10, 2026-Q4, 2026-W41, 2026, 2026-10-05, a..b "
                                                         "(default: this month)")
        parser.add_argument("--object", default="", help="object type (region, department, collector, operator, "
                                                         "shift_leader, dispatcher, hotline_line, hotline_agent) or "
                                                         "region level (city, district, street, community, grid)")
        parser.add_argument("--freeze", action="store_true", help="freeze the period after computing (it must "
                                                                   "have ended)")
        parser.add_argument("--limit", type=int, default=0, help="print at most this many rows per table")
        parser.add_argument("--catalogue", default="", help="the catalogue to compute with (its name or id; "
                                                            "default: the active one)")

    def handle(self, *args, **options):
        label = options["period"] or month_label(local_today())
        object_type, level = self._object(options["object"])
        catalogue = self._catalogue(options["catalogue"])
        try:
            period = period_get_or_create(label=label)
            if options["freeze"]:
                if object_type:
                    raise CommandError("--freeze computes every object type; leave out --object.")
                if catalogue:
                    raise CommandError("--freeze uses the active catalogue; leave out --catalogue.")
                run = period_freeze(period=period, trigger=Trigger.COMMAND, task_name="manage.py assess")
                if run is None:
                    self.stderr.write(f"{period.label} is already frozen; printing the stored results.")
            else:
                assessment_compute(period=period, object_type=object_type, catalogue=catalogue,
                                   levels=[level] if level else None, trigger=Trigger.COMMAND,
                                   task_name="manage.py assess")
        except ApplicationError as error:
            raise CommandError(error.message) from error
        period.refresh_from_db()
        self._print(period, object_type, level, options["limit"])

    def _catalogue(self, value: str) -> IndicatorCatalogue | None:
        if not value:
            return None
        found = IndicatorCatalogue.objects.filter(name=value).first()
        if found is None and value.isdigit():
            found = IndicatorCatalogue.objects.filter(pk=int(value)).first()
        if found is None:
            names = ", ".join(IndicatorCatalogue.objects.values_list("name", flat=True))
            raise CommandError(f"unknown --catalogue {value!r}: one of {names}")
        return found

    def _object(self, value: str) -> tuple[str | None, str | None]:
        if not value:
            return None, None
        if value in ObjectType.values:
            return value, None
        if value in RegionLevelKey.values:
            return ObjectType.REGION, value
        raise CommandError(f"unknown --object {value!r}: one of {', '.join(ObjectType.values + RegionLevelKey.values)}")

    def _print(self, period, object_type, level, limit):
        rows = Composite.objects.filter(period=period).select_related("catalogue")
        if object_type:
            rows = rows.filter(object_type=object_type)
        if level:
            rows = rows.filter(level=level)
        groups: dict[tuple[str, str], list[Composite]] = {}
        for row in rows.order_by(F("rank").asc(nulls_last=True), "object_code"):
            groups.setdefault((row.object_type, row.level), []).append(row)
        type_order = {kind: n for n, kind in enumerate(ObjectType.values)}
        level_order = {level: n for n, level in enumerate(RegionLevelKey.values)}
        groups = dict(sorted(groups.items(), key=lambda item: (type_order[item[0][0]],
                                                              level_order.get(item[0][1], 9))))
        snapshots: dict[tuple[str, str, int], dict[str, Snapshot]] = {}
        for snap in Snapshot.objects.filter(period=period).filter(
                **({"object_type": object_type} if object_type else {})).order_by("order"):
            snapshots.setdefault((snap.object_type, snap.level, snap.object_id), {})[snap.indicator_code] = snap
        frozen = f", frozen {period.frozen_at:%Y-%m-%d %H:%M}" if period.frozen_at else ""
        self.stdout.write(f"Assessment {period.label} ({period.start} – {period.end}, exclusive){frozen}")
        for (kind, lvl), members in groups.items():
            if limit:
                members = members[:limit]
            codes: list[tuple[str, str]] = []
            for member in members:
                for code, snap in snapshots.get((kind, lvl, member.object_id), {}).items():
                    name = f"{snap.indicator_name}({snap.weight:.0f}%)"
                    if (code, name) not in codes:
                        codes.append((code, name))
            title = ObjectType(kind).label if kind != ObjectType.REGION else RegionLevelKey(lvl).label
            catalogue = f"{members[0].catalogue.name} v{members[0].catalogue_version}" if members else ""
            self.stdout.write("")
            self.stdout.write(f"== {title} [{kind}/{lvl}] catalogue {catalogue}")
            header = [pad("#", 5), pad("grade", 6), pad("score", 7, True), pad("name", 24)]
            header += [pad(name, max(8, width(name)), True) for _code, name in codes]
            self.stdout.write("  ".join(header))
            for member in members:
                cells = [pad(rank_text(member), 5), pad(member.grade or "-", 6),
                         pad(composite_text(member), 7, True), pad(member.object_name[:20], 24)]
                for code, name in codes:
                    snap = snapshots.get((kind, lvl, member.object_id), {}).get(code)
                    cells.append(pad("" if snap is None else figure_text(snap), max(8, width(name)), True))
                self.stdout.write("  ".join(cells))
