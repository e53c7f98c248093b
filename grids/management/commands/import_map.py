"""manage.py import_map <file.geojson> [--replace]: import roads, places and basemap areas (all or nothing)."""
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import BaseCommand
from core.errors import ApplicationError
from grids.importers.map_features import map_features_import_geojson


class Command(BaseCommand):
    help = gettext_lazy("从 GeoJSON 导入道路、地名地标和底图要素（properties.layer），有任何错误则全部不导入")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--replace", action="store_true",
                            help=gettext_lazy("先删除文件中出现的各图层的已有数据，再导入"))

    def handle(self, *args, **options):
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(_("无法读取文件 %(file)s：%(error)s") % {"file": options["file"], "error": exc}) from exc
        try:
            counts = map_features_import_geojson(data=data, replace=options["replace"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        summary = "，".join(f"{layer} {count}" for layer, count in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(_("已导入地图数据：%(summary)s") % {"summary": summary}))
