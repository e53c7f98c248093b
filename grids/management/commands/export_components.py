"""manage.py export_components <out> [--format csv|xlsx] [--district CODE]: export components."""
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import BaseCommand
from core.errors import ApplicationError
from grids.importers.components import components_export
from grids.models import Component


class Command(BaseCommand):
    help = gettext_lazy("导出部件（csv 或 xlsx，列与导入一致）")

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path)
        parser.add_argument("--format", choices=("csv", "xlsx"), help=gettext_lazy("默认按文件扩展名判断"))
        parser.add_argument("--district", help=gettext_lazy("只导出一个区县（6位区划代码）"))

    def handle(self, *args, **options):
        out: Path = options["out"]
        fmt = options["format"] or out.suffix.lower().lstrip(".") or "csv"
        queryset = Component.objects.all()
        if options["district"]:
            queryset = queryset.filter(unit_grid__district__code=options["district"])
        try:
            stream = components_export(queryset=queryset, format=fmt)
            with out.open("wb") as handle:
                for chunk in stream:
                    handle.write(chunk)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(_("无法写入文件 %(file)s：%(error)s") % {"file": out, "error": exc}) from exc
        self.stdout.write(self.style.SUCCESS(_("已导出 %(count)d 个部件到 %(file)s") % {"count": queryset.count(), "file": out}))
