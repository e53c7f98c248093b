"""manage.py import_components <file> [--format csv|xlsx|geojson] [--update [--dry-run]]: import census
components (add only), or with --update a census update that adds, changes and retires by code:
the changes are printed first; --dry-run stops there."""
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import BaseCommand
from core.errors import ApplicationError
from grids.importers.census import census_apply, census_plan
from grids.importers.components import components_import
from grids.importers.tabular import FORMATS


class Command(BaseCommand):
    help = gettext_lazy("导入部件普查数据（csv、xlsx 或 GeoJSON 点要素），有任何错误则全部不导入")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, help=gettext_lazy("默认按文件扩展名判断"))
        parser.add_argument("--update", action="store_true",
                            help=gettext_lazy("普查更新：按标识码新增、变更，状态为“注销”的行注销部件（保留不删除）"))
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("只显示将要发生的变更，不保存"))

    def handle(self, *args, **options):
        if not options["file"].is_file():
            raise CommandError(_("文件不存在：%(file)s") % {"file": options["file"]})
        if options["update"]:
            return self._update(options["file"], options["format"], dry_run=options["dry_run"])
        if options["dry_run"]:
            raise CommandError(_("--dry-run 只能与 --update 一起使用"))
        try:
            count = components_import(file=options["file"], format=options["format"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(_("已导入 %(count)d 个部件") % {"count": count}))

    def _update(self, file: Path, format: str | None, *, dry_run: bool) -> None:
        try:
            plan = census_plan(file=file, format=format)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for line in plan.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(self.style.WARNING(_("试运行：未保存任何变更")))
            return
        update_id = census_apply(plan=plan, source=file.name)
        self.stdout.write(self.style.SUCCESS(_("已保存（批次 %(id)s）") % {"id": update_id}))
