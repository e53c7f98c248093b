"""English is complete: the catalogue has no untranslated or fuzzy entry, its placeholders match the
Chinese source, the committed .mo matches the .po, and key pages render in English when asked to."""
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdfr]|\{\w+\}|%%")


def _unquote(text: str) -> str:
    body = text[text.index('"') + 1:text.rindex('"')]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), body)


def po_entries(path: Path) -> list[dict]:
    """A small .po reader (no polib needed): one dict per entry with msgid, msgid_plural,
    msgstr (a list: one item, or one per plural form), flags, and the first source reference."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = {"flags": set(), "msgid": None, "msgid_plural": None, "msgstr": [], "ref": "", "obsolete": False}
        field = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#:") and not entry["ref"]:
                entry["ref"] = line[2:].split()[0]
            elif line.startswith("#"):
                continue
            elif line.startswith(("msgid_plural ", "msgid ", "msgctxt ")):
                field = line.split()[0]
                entry[field] = _unquote(line)
            elif line.startswith("msgstr"):
                field = "msgstr"
                entry["msgstr"].append(_unquote(line))
            elif line.startswith('"') and field == "msgstr":
                entry["msgstr"][-1] += _unquote(line)
            elif line.startswith('"') and field:
                entry[field] += _unquote(line)
        if entry["msgid"] and not entry["obsolete"]:
            entries.append(entry)
    return entries


TYPED_IN_CHINESE = re.compile("休|班|元旦|春节调休")


@pytest.fixture(scope="module")
def entries():
    return po_entries(PO)


def test_the_catalogue_is_parsed(entries):
    assert len(entries) > 1000
    assert any(e["msgid_plural"] for e in entries)


def test_every_english_string_is_translated_and_none_is_fuzzy(entries):
    untranslated = [f'{e["ref"]}: {e["msgid"]}' for e in entries if not all(e["msgstr"])]
    fuzzy = [f'{e["ref"]}: {e["msgid"]}' for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, "untranslated in locale/en:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy in locale/en:\n" + "\n".join(fuzzy)


def test_translations_keep_the_placeholders_and_are_english(entries):
    wrong = []
    for e in entries:
        expected = sorted(PLACEHOLDER.findall(e["msgid"]))
        for msgstr in e["msgstr"]:
            if sorted(PLACEHOLDER.findall(msgstr)) != expected and not e["msgid_plural"]:
                wrong.append(f'{e["ref"]}: {e["msgid"]!r} → {msgstr!r}')
            # Chinese left in a translation is only allowed where a value must be typed in Chinese:
            # the work calendar's kinds of day (休, 班) and the notes of its example lines.
            left = CJK.sub("", TYPED_IN_CHINESE.sub("", msgstr)) != TYPED_IN_CHINESE.sub("", msgstr)
            if left and "python-format" not in e["flags"]:
                wrong.append(f'{e["ref"]}: Chinese left in {msgstr!r}')
    assert not wrong, "\n".join(wrong)


def test_the_committed_mo_matches_the_po(entries):
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for e in entries:
        if e["msgid_plural"]:
            got = [compiled.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
        else:
            got = [compiled.gettext(e["msgid"])]
        if got != e["msgstr"]:
            stale.append(e["msgid"])
    assert not stale, "django.mo is stale; run manage.py compilemessages:\n" + "\n".join(stale[:20])


# --- pages rendered in English ------------------------------------------------------------------

def english_client(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def assert_english(response, present: list[str], absent: list[str]) -> None:
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    for text in present:
        assert text in html, f"missing English text {text!r}"
    for text in absent:
        assert text not in html, f"Chinese UI text {text!r} left on the English page"


@pytest.mark.django_db
def test_login_page_in_english():
    response = english_client().get(reverse("login"))
    assert_english(response, ["Log in", "Username", "Password", "City management command center"],
                   ["登录", "用户名", "密码", "数字城管指挥中心"])


@pytest.mark.django_db
def test_the_language_switcher_sets_english(city):
    client = Client()
    assert "登录" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert_english(client.get(reverse("login")), ["Log in"], ["登录"])


def _report(city):
    from cases import services
    from cases.models import Source
    from citygrid.testing import point_in

    lon, lat = point_in(0, dx=0.5)
    return services.case_report(actor=city.users["collector_a"], source=Source.COLLECTOR,
                                minor_id=city.classes["garbage"].pk, lon=lon, lat=lat,
                                description="路边有暴露垃圾").case


def test_operator_queue_in_english(city):
    case = _report(city)
    response = english_client(city.users["operator"]).get(reverse("cases:operator"))
    assert_english(response, ["Intake queue", "New reports", "Collector patrol", "Log out", case.number],
                   ["受理队列", "新上报", "监督员上报", "退出"])


def test_case_page_in_english(city):
    case = _report(city)
    response = english_client(city.users["operator"]).get(reverse("cases:case", args=[case.pk]))
    assert_english(response, ["Timeline", "Your actions", "Deadlines by step", "Send verify task"],
                   ["办理过程", "可执行的操作", "各环节时限", "下发核实"])


def test_assessment_ranking_in_english(city):
    from assessment.catalogue import DEFAULT_CATALOGUE_NAME
    from assessment.models import IndicatorCatalogue
    from assessment.services import assessment_compute, catalogue_activate, catalogue_install_default

    # The migration installs the default catalogue; a transactional test elsewhere may have flushed it.
    catalogue = IndicatorCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).first()
    if catalogue is None:
        catalogue_install_default(activate=True)
    elif not catalogue.is_active:
        catalogue_activate(catalogue=catalogue)
    _report(city)
    assessment_compute(period="2026-10")
    response = english_client(city.users["manager"]).get(
        reverse("assessment:ranking", args=["2026-10", "department"]))
    assert_english(response, ["Rank", "Grade", "Composite score", "Export to Excel", "Monthly bulletin"],
                   ["排名", "等级", "综合指标值", "导出 Excel", "月度通报"])
