"""manage.py import_grids <file.geojson>: import unit grids (all or nothing)."""
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import BaseCommand
from core.errors import ApplicationError
from grids.importers.unit_grids import unit_grids_import_geojson


class Command(BaseCommand):
    help = gettext_lazy("从 GeoJSON 导入单元网格（properties: code, community_code），有任何错误则全部不导入")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--update", action="store_true", help=gettext_lazy("代码已存在的网格更新边界，而不是报错"))
        parser.add_argument("--overlap-tolerance", type=float, default=1.0, help=gettext_lazy("允许的重叠面积（平方米）"))
        parser.add_argument("--gap-tolerance", type=float, default=1.0, help=gettext_lazy("允许的空隙面积（平方米）"))

    def handle(self, *args, **options):
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(_("无法读取文件 %(file)s：%(error)s") % {"file": options["file"], "error": exc}) from exc
        try:
            count = unit_grids_import_geojson(
                data=data, update_existing=options["update"],
                overlap_tolerance_m2=options["overlap_tolerance"], gap_tolerance_m2=options["gap_tolerance"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(_("已导入 %(count)d 个单元网格") % {"count": count}))
