"""The second pass's polish, as the server renders it: a favicon at /favicon.ico, every rate
written "66.67%" (the hotline desk as the assessment), the assessment's one period picker and its period
written first day to last day, department names instead of codes, the search's ticked filters."""
import re

import pytest
from django.test import Client
from django.utils import timezone

from assessment.models import IndicatorCatalogue
from assessment.services import assessment_compute, catalogue_install_default
from hotline.tests.helpers import call

pytestmark = pytest.mark.django_db


def page(city, username: str, url: str) -> str:
    client = Client()
    client.force_login(city.users[username])
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_favicon_ico_leads_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith(".svg")
    assert client.get(response["Location"]).status_code == 200


def test_hotline_rates_are_percentages(city, settings):
    settings.HOTLINE_AUTO_FEEDBACK = False
    html = page(city, "hotline_agent", "/hotline/")
    assert "<dt>办结率</dt><dd>—</dd>" in html  # no case taken yet: no denominator, no "0.0"
    call(city)  # one case taken this month, not closed
    html = page(city, "hotline_agent", "/hotline/")
    assert "<dt>办结率</dt><dd>0.00%</dd>" in html


@pytest.fixture
def assessed(city):
    if not IndicatorCatalogue.objects.filter(is_active=True).exists():
        catalogue_install_default(activate=True)
    label = timezone.localtime().strftime("%Y-%m")
    assessment_compute(period=label)
    return label


def test_assessment_one_period_picker_and_first_to_last_day(city, assessed):
    html = page(city, "manager", f"/assessment/{assessed}/")
    picker = html[html.index('class="period-picker"'):]
    picker = picker[:picker.index("</form>")]
    assert picker.count("<select") == 1 and 'type="month"' not in picker
    assert f'<option value="{assessed}" selected>' in picker
    assert "零时" not in html and " 至 " in html


def test_assessment_ranking_names_departments_without_their_codes(city, assessed):
    html = page(city, "manager", f"/assessment/{assessed}/ranking/department/")
    assert "东区环卫所" in html
    assert ">D-HW-1<" not in html


def test_search_sources_and_states_are_check_boxes(city):
    html = page(city, "operator", "/search/?source=collector&source=public")
    assert "<select" not in html[html.index('role="search"'):html.index("</form>")].split('name="district"')[0]
    assert re.search(r'<input type="checkbox" name="source" value="collector"[^>]*checked', html)
    assert re.search(r'<input type="checkbox" name="source" value="public"[^>]*checked', html)
    assert 'name="state"' in html and "Ctrl" not in html


def test_form_labels_end_with_a_chinese_colon_in_chinese_and_an_ascii_one_in_english(city):
    html = page(city, "hotline_agent", "/hotline/")
    assert ">渠道：</label>" in html and ">渠道:</label>" not in html
    client = Client()
    client.force_login(city.users["hotline_agent"])
    english = client.get("/hotline/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r">[A-Za-z ]+:</label>", english) and "：</label>" not in english


def test_english_pages_keep_ascii_colons(city):
    from cases.tests.helpers import report

    case = report(city)
    client = Client()
    client.force_login(city.users["shift_leader"])
    for url in (f"/cases/{case.pk}/", "/work/shift-leader/"):
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        chinese = client.get(url).content.decode()
        assert "：" in chinese
        assert "：" not in english, english[max(0, english.index("：") - 80):english.index("：") + 20]
