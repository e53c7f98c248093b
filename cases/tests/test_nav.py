"""The top navigation links what the person may read: a department's people reach their own
assessment (assessment.services.can_read_assessment lets them in), the desk roles that may not do not
see the link."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav(client, user) -> str:
    client.force_login(user)
    html = client.get(reverse("cases:search")).content.decode()
    return html.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]


@pytest.mark.parametrize(("username", "linked"), [("handler_a", True), ("manager", True), ("operator", False),
                                                  ("dispatcher", False)])
def test_the_assessment_link_is_there_for_those_who_may_read_it(city, client, username, linked):
    from assessment.services import can_read_assessment

    user = city.users[username]
    assert can_read_assessment(user) is linked
    assert (f'href="{reverse("assessment:home")}"' in nav(client, user)) is linked
