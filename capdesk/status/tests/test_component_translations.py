"""Components and groups have Indonesian names and descriptions, kept like an incident's.

Staff give them in the admin beside the English; the Indonesian page, the incident page,
the subscription form and Indonesian subscribers' emails show them, falling back to the
English where none was given; the Statuspage JSON stays English.
"""

import pytest
from django.test import Client

from capdesk.status import actions
from capdesk.status.models import Component, ComponentGroup

pytestmark = pytest.mark.usefixtures("frozen")

API_ID = {"id": {"name": "API pembaruan langsung", "description": "Melayani unduhan bundle."}}


@pytest.fixture
def translated(api: Component) -> Component:
    return actions.edit_component(
        api,
        name=api.name,
        description="Serves bundle downloads.",
        group=None,
        position=api.position,
        showcase=True,
        only_show_if_degraded=False,
        translations=API_ID,
    )


def _get(client: Client, path: str, language: str) -> str:
    response = client.get(path, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


# Kept beside the English ------------------------------------------------------------------


def test_it_keeps_a_components_translation_and_an_empty_one_removes_it(translated):
    assert translated.text_in("name", "id") == "API pembaruan langsung"
    assert translated.text_in("name", "en") == "Live update API"
    edited = actions.edit_component(
        translated,
        name=translated.name,
        description=translated.description,
        group=None,
        position=translated.position,
        showcase=True,
        only_show_if_degraded=False,
        translations={"id": {"description": ""}},
    )
    assert edited.translations == {"id": {"name": "API pembaruan langsung"}}, "a name not given stays"


def test_it_refuses_a_language_the_page_is_not_offered_in(api):
    with pytest.raises(actions.StatusError):
        actions.create_component(name="Analytics", translations={"fr": {"name": "Analytique"}})
    assert not Component.objects.filter(name="Analytics").exists()


def test_a_group_has_its_indonesian_name_too(db):
    group = actions.create_group(name="Core services", translations={"id": {"name": "Layanan inti"}})
    assert group.text_in("name", "id") == "Layanan inti"
    actions.edit_group(group, name="Core", description="", position=1, translations={"id": {"name": ""}})
    group.refresh_from_db()
    assert (group.name, group.translations) == ("Core", {})


# Edited by staff in the admin ---------------------------------------------------------------


def test_an_admin_gives_a_component_its_indonesian_name_and_description(cast, client, api):
    client.force_login(cast.admin)
    url = f"/admin/status/component/{api.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="name_in_id"' in form and 'name="description_in_id"' in form
    response = client.post(
        url,
        {
            "name": "Live update API",
            "name_in_id": "API pembaruan langsung",
            "description": "",
            "description_in_id": "Melayani unduhan bundle.",
            "position": api.position,
            "status": "operational",
            "showcase": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Component.objects.get(pk=api.pk).translations == API_ID
    shown = client.get(url).content.decode()
    assert 'value="API pembaruan langsung"' in shown, "the change form shows the Indonesian name given"


def test_an_admin_names_a_new_group_in_indonesian(cast, client, db):
    client.force_login(cast.admin)
    response = client.post(
        "/admin/status/componentgroup/add/",
        {"name": "Core services", "name_in_id": "Layanan inti", "description": "", "position": 1},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ComponentGroup.objects.get().translations == {"id": {"name": "Layanan inti"}}


def test_staff_without_the_permission_cannot_rename_a_component(cast, client, api):
    client.force_login(cast.agent)
    response = client.post(
        f"/admin/status/component/{api.pk}/change/",
        {"name": api.name, "name_in_id": "Dibajak", "position": 0, "status": "operational"},
    )
    assert response.status_code == 403
    assert Component.objects.get(pk=api.pk).translations == {}
