"""manage.py load_classes: load the national classification editions with the project's defaults."""
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.commands import BaseCommand
from core.errors import ApplicationError
from grids.importers.classification import EDITION_FILES, classification_load


class Command(BaseCommand):
    help = gettext_lazy("载入部件、事件分类标准（旧版4位码与2026版5位码）及默认时限、处置部门类型")

    def add_arguments(self, parser):
        parser.add_argument("--edition", choices=list(EDITION_FILES), help=gettext_lazy("只载入一个版本（默认两个都载入）"))

    def handle(self, *args, **options):
        try:
            count = classification_load(edition=options["edition"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(_("已载入 %(count)d 个小类") % {"count": count}))
