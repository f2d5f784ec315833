"""Incident text in Indonesian beside the English original: stored by the actions, read with a fallback."""

import pytest

from capdesk.core.translations import TranslationError, checked, merged, pick
from capdesk.status import actions
from capdesk.status.actions import StatusError
from capdesk.status.models import Incident, StatusEvent

ID = {"id": {"name": "Unduhan bundle lambat", "body": "Kami sedang menyelidiki unduhan yang lambat."}}


def test_it_picks_a_translation_and_finds_a_regional_language_by_its_base():
    stored = {"id": {"name": "Konsol lambat"}}
    assert pick(stored, "name", "id") == "Konsol lambat"
    assert pick(stored, "name", "id-ID") == "Konsol lambat"
    assert pick(stored, "name", "en") == ""
    assert pick(stored, "body", "id") == ""
    assert pick(stored, "name", None) == ""


def test_it_refuses_a_language_the_page_is_not_in_and_a_field_that_is_not_translated():
    with pytest.raises(TranslationError):
        checked({"fr": {"name": "Console lente"}}, ("name",))
    with pytest.raises(TranslationError):
        checked({"en": {"name": "The original is not a translation"}}, ("name",))
    with pytest.raises(TranslationError):
        checked({"id": {"impact": "besar"}}, ("name",))
    with pytest.raises(TranslationError):
        checked({"id": {"name": "x" * 256}}, ("name",))  # the original's column holds 255
    assert checked({"id": {"name": "  Konsol lambat \n"}}, ("name",)) == {"id": {"name": "Konsol lambat"}}


def test_an_empty_text_removes_a_translation_and_an_emptied_language_goes():
    current = {"id": {"name": "Lama", "postmortem_body": "Analisis"}}
    assert merged(current, {"id": {"name": "Baru"}}) == {
        "id": {"name": "Baru", "postmortem_body": "Analisis"}
    }
    assert merged({"id": {"name": "Lama"}}, {"id": {"name": ""}}) == {}


def test_it_opens_an_incident_with_its_indonesian_name_and_first_update(api):
    incident = actions.open_incident(
        name="Bundle downloads slow", body="We are investigating slow downloads.", translations=ID
    )
    incident.refresh_from_db()
    assert incident.name == "Bundle downloads slow"
    assert incident.text_in("name", "id") == "Unduhan bundle lambat"
    assert incident.text_in("name", "en") == "Bundle downloads slow"
    update = incident.updates.get()
    assert update.body == "We are investigating slow downloads."
    assert update.text_in("body", "id") == "Kami sedang menyelidiki unduhan yang lambat."
    # The webhook payload stays Statuspage's English; the email's translations ride beside it.
    event = StatusEvent.objects.get()
    assert event.payload["incident"]["name"] == "Bundle downloads slow"
    assert event.translations == ID


def test_without_a_translation_every_language_reads_the_original(api):
    incident = actions.open_incident(name="Console errors", body="Looking into it.")
    assert incident.translations == {}
    assert incident.text_in("name", "id") == "Console errors"
    assert incident.updates.get().text_in("body", "id") == "Looking into it."


def test_a_field_that_is_not_translated_cannot_be_read_through_text_in(api):
    incident = actions.open_incident(name="Console errors", body="Looking into it.")
    with pytest.raises(ValueError):
        incident.text_in("impact", "id")


def test_an_unknown_language_is_refused_and_nothing_is_opened(api):
    with pytest.raises(StatusError):
        actions.open_incident(
            name="Console errors", body="Looking.", translations={"fr": {"name": "Erreurs"}}
        )
    assert not Incident.objects.exists()


def test_updates_resolution_and_postmortem_carry_their_own_translations(api):
    incident = actions.open_incident(name="Console errors", body="Looking.")
    actions.post_incident_update(
        incident,
        status="identified",
        body="A bad deploy.",
        translations={"id": {"body": "Deploy yang buruk."}},
    )
    actions.resolve_incident(incident, body="Fixed.", translations={"id": {"body": "Sudah diperbaiki."}})
    actions.publish_postmortem(
        incident, body="A config typo.", translations={"id": {"body": "Salah ketik konfigurasi."}}
    )
    incident.refresh_from_db()
    bodies = [u.text_in("body", "id") for u in incident.updates.all()]
    assert bodies == ["Salah ketik konfigurasi.", "Sudah diperbaiki.", "Deploy yang buruk.", "Looking."]
    assert incident.text_in("postmortem_body", "id") == "Salah ketik konfigurasi."


def test_a_new_postmortem_without_a_translation_drops_the_older_ones(api):
    incident = actions.open_incident(name="Console errors", body="Looking.")
    actions.resolve_incident(incident)
    actions.publish_postmortem(incident, body="First draft.", translations={"id": {"body": "Draf pertama."}})
    actions.publish_postmortem(incident, body="The full story.")
    incident.refresh_from_db()
    assert incident.text_in("postmortem_body", "id") == "The full story."


def test_stock_texts_nobody_typed_read_in_indonesian(api):
    incident = actions.open_incident(name="Console errors", body="Looking.")
    update = actions.resolve_incident(incident)
    assert update.body == "This incident has been resolved."
    assert update.text_in("body", "id") == "Insiden ini telah diselesaikan."
    typed = actions.open_incident(name="API errors", body="Looking.")
    own = actions.resolve_incident(typed, translations={"id": {"body": "Beres."}})
    assert own.text_in("body", "id") == "Beres."


def test_editing_an_incident_changes_or_removes_its_indonesian_name_and_republishes(api):
    incident = actions.open_incident(name="Console errors", body="Looking.", translations=ID)
    version = incident_version()
    actions.edit_incident(
        incident, name="Console errors", impact="minor", translations={"id": {"name": "Galat"}}
    )
    assert incident.text_in("name", "id") == "Galat"
    assert incident_version() > version
    actions.edit_incident(incident, name="Console errors", impact="major")  # none given: kept as they are
    assert incident.text_in("name", "id") == "Galat"
    actions.edit_incident(incident, name="Console errors", impact="minor", translations={"id": {"name": ""}})
    assert incident.text_in("name", "id") == "Console errors"


def incident_version() -> int:
    from capdesk.status.models import PageState

    return PageState.objects.get(pk=1).version
