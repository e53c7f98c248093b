"""manage.py seed_demo [--seed N] [--scale X] [--reset [--noinput]] [--cases N]: build the demo city
(grids.demo) and its cases (cases.demo), and print their figures and logins; every demo login's
password is `citygrid-demo`. A project command: it is the one place that knows both apps.
"""
import logging
import time
import unicodedata

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.demo import demo_cases_build
from core.errors import ApplicationError
from grids.demo import CITY_CODE, DEMO_PASSWORD, DemoSummary, demo_city_build
from grids.models import Region, Role

COUNT_LABELS = [
    ("regions_level_2", gettext_lazy("区/县")),
    ("regions_level_3", gettext_lazy("街道")),
    ("regions_level_4", gettext_lazy("社区")),
    ("unit_grids", gettext_lazy("单元网格")),
    ("responsibility_grids", gettext_lazy("责任网格")),
    ("minor_classes", gettext_lazy("分类小类（两版标准）")),
    ("departments", gettext_lazy("部门")),
    ("ownership_rules", gettext_lazy("权属规则")),
    ("components", gettext_lazy("部件")),
    ("components_owner_unknown", gettext_lazy("其中未登记权属单位的部件")),
    ("users", gettext_lazy("用户")),
    ("collectors", gettext_lazy("其中监督员")),
]


def _pad(text: str, width: int) -> str:
    """Pad to a terminal width, counting a CJK character as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
    return text + " " * max(1, width - used)


class Command(BaseCommand):
    help = (
        "生成示范城市（示范市：区、街道、社区、单元网格、责任网格、部门、权属规则、部件和演示账号），"
        f"同一种子结果完全相同。所有演示账号的密码均为 {DEMO_PASSWORD}。"
        "数据库已有数据时不做改动；--reset 先清空整个数据库（等同 manage.py flush）再重建。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")
        parser.add_argument("--scale", type=float, default=1.0,
                            help="规模倍数：1 约 900 个单元网格、3 万个部件；22 约 2 万个单元网格")
        parser.add_argument("--component-scale", type=float, default=None,
                            help="部件规模倍数（默认与 --scale 相同）")
        parser.add_argument("--reset", action="store_true",
                            help="先清空整个数据库（所有应用的数据，包括案件和用户），再重建示范城市")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="--reset 时不再询问确认")
        parser.add_argument("--cases", type=int, default=None,
                            help="由案件模块（cases.demo，如已提供）生成的演示案件数；默认用该模块的默认值，0 表示不生成")

    def handle(self, *args, **options):
        if options["scale"] <= 0:
            raise CommandError(_("--scale 必须为正数"))
        if options["reset"]:
            self._reset(interactive=options["interactive"])
        elif Region.objects.exists():
            if Region.objects.filter(code=CITY_CODE).exists():
                self.stdout.write(self.style.WARNING(_(
                    "数据库中已有示范城市（%(code)s），未做改动。如需重新生成，请运行："
                    "manage.py seed_demo --reset") % {"code": CITY_CODE}))
                return
            raise CommandError(_("数据库中已有其他城市的行政区域数据，拒绝生成示范城市。"
                                 "如确需清空后重建，请使用 --reset（将删除全部数据）。"))

        started = time.perf_counter()
        try:
            summary = demo_city_build(seed=options["seed"], scale=options["scale"],
                                      component_scale=options["component_scale"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        city_seconds = time.perf_counter() - started
        self._print_summary(summary, city_seconds)

        if options["cases"] is None or options["cases"] > 0:
            self._demo_cases_build(seed=options["seed"], count=options["cases"])

        self.stdout.write(self.style.SUCCESS(_("完成，用时 %(seconds).1f 秒。")
                                             % {"seconds": time.perf_counter() - started}))

    def _reset(self, *, interactive: bool) -> None:
        database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        if interactive:
            answer = input(_("将清空数据库 %(db)s 的全部数据（区域、网格、部件、案件、用户……），"
                             "然后重建示范城市。输入 yes 继续：") % {"db": database})
            if answer.strip().lower() != "yes":
                raise CommandError(_("已取消。"))
        call_command("flush", interactive=False, verbosity=0)
        self.stdout.write(_("已清空数据库 %(db)s。") % {"db": database})

    def _demo_cases_build(self, *, seed: int, count: int | None) -> None:
        started = time.perf_counter()
        kwargs = {} if count is None else {"count": count}
        # Every case goes through the real intake and moves, each of which logs a line (the report
        # notifier, eager Celery tasks): a progress bar says more than 800 such lines.
        logging.disable(logging.INFO)
        try:
            made = demo_cases_build(seed=seed, progress=self._progress, **kwargs)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        finally:
            logging.disable(logging.NOTSET)
        self.stdout.write(_("演示案件：新生成 %(made)s 件，用时 %(seconds).1f 秒。")
                          % {"made": made, "seconds": time.perf_counter() - started})

    def _progress(self, done: int, total: int) -> None:
        """A bar redrawn in place on a terminal; elsewhere (a log, CI) nothing until the summary."""
        if not self.stdout.isatty():
            return
        width = 30
        filled = width * done // max(total, 1)
        self.stdout.write(f"\r  {_('演示案件')} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                          ending="" if done < total else "\n")
        self.stdout.flush()

    def _print_summary(self, summary: DemoSummary, seconds: float) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS(_("示范城市已生成（种子 %(seed)d，规模 %(scale)s），用时 %(seconds).1f 秒：")
                                     % {"seed": summary.seed, "scale": summary.scale, "seconds": seconds}))
        for key, label in COUNT_LABELS:
            if key in summary.counts:
                out.write(f"  {label}：{summary.counts[key]:,}")
        out.write("")
        out.write(_("演示账号（密码均为 %(password)s）：") % {"password": summary.password})
        width = max(len(login.username) for login in summary.logins)
        for login in summary.logins:
            out.write(f"  {login.username.ljust(width)}  {_pad(str(Role(login.role).label), 10)}{login.scope}")
        for note in summary.notes:
            out.write(f"  {note}")
        out.write("")
