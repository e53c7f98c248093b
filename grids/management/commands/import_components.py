"""manage.py import_components <file> [--format csv|xlsx|geojson]: import census components."""
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import BaseCommand
from core.errors import ApplicationError
from grids.importers.components import components_import
from grids.importers.tabular import FORMATS


class Command(BaseCommand):
    help = gettext_lazy("导入部件普查数据（csv、xlsx 或 GeoJSON 点要素），有任何错误则全部不导入")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, help=gettext_lazy("默认按文件扩展名判断"))

    def handle(self, *args, **options):
        if not options["file"].is_file():
            raise CommandError(_("文件不存在：%(file)s") % {"file": options["file"]})
        try:
            count = components_import(file=options["file"], format=options["format"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(_("已导入 %(count)d 个部件") % {"count": count}))
