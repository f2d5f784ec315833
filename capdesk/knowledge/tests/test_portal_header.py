import pytest

from capdesk.knowledge.demo import load_demo
from capdesk.portal.actions import user_for_person


@pytest.fixture
def demo(db):
    load_demo()


@pytest.mark.parametrize("path", ["/kb/", "/kb/notify-app-ready/"])
def test_a_signed_in_customer_keeps_the_portals_header_in_the_knowledge_base(client, cast, demo, path):
    client.force_login(user_for_person(cast.developer))
    page = client.get(path).content.decode()
    assert "Dewi Developer" in page
    assert 'action="/portal/sign-out/"' in page
    assert 'href="/portal/requests/new/"' in page
    assert 'action="/portal/language/"' in page and f'name="next" value="{path}"' in page


def test_a_visitor_who_is_not_signed_in_sees_the_knowledge_base_without_a_portal_header(client, demo):
    page = client.get("/kb/").content.decode()
    assert "/portal/sign-out/" not in page and "/portal/language/" not in page
    assert 'href="/portal/"' in page  # "My requests" leads to the sign-in


def test_the_language_switch_on_the_knowledge_base_comes_back_to_the_same_page(client, cast, demo):
    client.force_login(user_for_person(cast.developer))
    response = client.post("/portal/language/", {"language": "id", "next": "/kb/notify-app-ready/"})
    assert response["Location"] == "/kb/notify-app-ready/"
    assert "Basis pengetahuan" in client.get("/kb/notify-app-ready/").content.decode()
