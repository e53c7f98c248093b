"""manage.py generate_cases --count N --months M [--seed S] [--batch B] [--until ISO]: synthetic case
history (cases.generate) over the city already in the database, for demos and benchmarks."""
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cases.generate import cases_generate


class Command(BaseCommand):
    help = ("在现有网格、分类、部门和人员上生成逼真的历史案件（含环节、任务、申请和日志），"
            "PostgreSQL 上用 COPY 批量写入。同一种子、参数和截止时间结果相同。")

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="案件数")
        parser.add_argument("--months", type=int, default=12, help="时间跨度（月，截至 --until），默认 12")
        parser.add_argument("--seed", type=int, default=1, help="随机种子，默认 1")
        parser.add_argument("--batch", type=int, default=10_000, help="每批案件数（内存随批大小而非总数），默认 10000")
        parser.add_argument("--until", default="", help="历史截止时间（ISO 8601，默认当前时间）；此后的动作尚未发生")
        parser.add_argument("--rebuild-indexes", choices=["auto", "always", "never"], default="auto",
                            help="PostgreSQL：写入前删除二级索引、写完重建（auto：写入量不少于现有案件数时）")
        parser.add_argument("--edition", choices=["legacy4", "std2026"], default=None,
                            help="使用哪一版分类标准的小类（默认自动选择）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, **options):
        if options["count"] < 1 or options["months"] < 1 or options["batch"] < 1:
            raise CommandError(_("--count、--months 和 --batch 必须为正整数"))
        until = None
        if options["until"]:
            until = parse_datetime(options["until"])
            if until is None:
                raise CommandError(_("--until 不是有效的 ISO 8601 时间：%(value)s") % {"value": options["until"]})
            if until.tzinfo is None:
                until = until.replace(tzinfo=UTC)
            until = until.astimezone(UTC)
        try:
            result = cases_generate(
                count=options["count"], months=options["months"], seed=options["seed"], batch=options["batch"],
                until=until or datetime.now(UTC).replace(second=0, microsecond=0),
                rebuild_indexes=options["rebuild_indexes"], progress=not options["no_progress"],
                edition=options["edition"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        rows = ", ".join(f"{table} {count:,}" for table, count in result.rows.items())
        self.stdout.write(
            f"generated {result.cases:,} cases in {result.seconds:.1f} s ({result.cases_per_second:,.0f} cases/s; "
            f"load {result.load_seconds:.1f} s incl. index rebuild {result.index_seconds:.1f} s, "
            f"analyze {result.analyze_seconds:.1f} s): {rows}"
        )
        if result.postgres_cpu_seconds is not None:
            # Wall time depends on what else the machine runs; CPU time does not.
            cpu = result.python_cpu_seconds + result.postgres_cpu_seconds
            self.stdout.write(
                f"cpu: python {result.python_cpu_seconds:.1f} s, postgres COPY backends "
                f"{result.postgres_cpu_seconds:.1f} s = {result.cases / cpu:,.0f} cases per CPU-second"
            )
