"""manage.py calendar_import FILE [--year Y] [--dry-run]: enter a year's holidays and adjusted working
days (cases.calendar_import): validated, compared with the calendar in force, saved in one transaction."""
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.calendar_import import calendar_year_import
from core.errors import ApplicationError


class Command(BaseCommand):
    help = ("录入一年的法定节假日和调休上班日（国务院办公厅公布的放假安排）。每行：开始日期,结束日期,休|班[,说明]，"
            "例如 2027-01-01,2027-01-01,休,元旦 与 2027-02-07,,班,春节调休。先显示与现行日历的差异，再保存。")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 文件路径（- 表示标准输入）")
        parser.add_argument("--year", type=int, default=None, help="年份（默认取各行日期的最大年份）")
        parser.add_argument("--dry-run", action="store_true", help="只校验并显示差异，不保存")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8-sig").read()
        except OSError as error:
            raise CommandError(_("无法读取文件：%(error)s") % {"error": error}) from None
        except UnicodeDecodeError:
            raise CommandError(_("文件应为 UTF-8 编码")) from None
        try:
            schedule = calendar_year_import(text=text, year=options["year"], dry_run=options["dry_run"])
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(schedule.summary())
        for change in schedule.changes:
            self.stdout.write("  " + change.describe())
        for day in schedule.removed:
            self.stdout.write("  " + _("删除本市原有调整：%(day)s") % {"day": day.isoformat()})
        if schedule.saved:
            self.stdout.write(self.style.SUCCESS(_("已保存；受影响的在办时限正在重新计算。")))
        else:
            self.stdout.write(_("未保存（--dry-run）。"))
