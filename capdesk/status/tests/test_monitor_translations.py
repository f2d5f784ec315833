"""A monitor's incident reads in Indonesian too: its texts are stock texts with .po translations.

The English stays word for word what monitors always wrote; the component is named as
each language's readers know it, and a text the .po does not translate is left English.
"""

import pytest
from django.test import Client

from capdesk.status import actions, monitor_actions
from capdesk.status.models import Component, Incident, Monitor
from capdesk.status.probes import Outcome

pytestmark = pytest.mark.usefixtures("frozen")


def _monitor(component: Component) -> Monitor:
    return Monitor.objects.create(
        name="API check", component=component, kind="tcp", target="127.0.0.1:9", failure_threshold=2
    )


def _fail(monitor: Monitor, times: int = 2) -> Incident:
    for _ in range(times):
        monitor_actions.record_result(monitor, Outcome(False, 5, "ConnectionRefusedError"))
    return Incident.objects.get()


def _translate(component: Component) -> Component:
    return actions.edit_component(
        component,
        name=component.name,
        description="",
        group=None,
        position=component.position,
        showcase=True,
        only_show_if_degraded=False,
        translations={"id": {"name": "API pembaruan langsung"}},
    )


def test_the_incident_a_monitor_opens_is_named_and_described_in_indonesian(api):
    incident = _fail(_monitor(_translate(api)))
    assert incident.name == "Live update API is not responding"
    assert incident.text_in("name", "id") == "API pembaruan langsung tidak merespons"
    (update,) = incident.updates.all()
    assert update.body == (
        "Our automatic checks of Live update API are failing (ConnectionRefusedError). We are investigating."
    )
    assert update.text_in("body", "id") == (
        "Pemeriksaan otomatis kami terhadap API pembaruan langsung gagal (ConnectionRefusedError). "
        "Kami sedang menyelidikinya."
    )


def test_a_component_without_an_indonesian_name_keeps_its_english_name_in_the_indonesian_text(api):
    incident = _fail(_monitor(api))
    assert incident.text_in("name", "id") == "Live update API tidak merespons"


def test_failing_again_while_monitored_is_said_in_indonesian_too(api):
    monitor = _monitor(_translate(api))
    incident = _fail(monitor)
    monitor_actions.record_result(monitor, Outcome(True, 5))
    for _ in range(2):  # the threshold again
        monitor_actions.record_result(monitor, Outcome(False, 5, "timeout"))
    latest = incident.updates.order_by("-display_at", "-id").first()
    assert latest is not None and latest.status == "investigating"
    assert latest.body == "Our automatic checks of Live update API are failing again (timeout)."
    assert latest.text_in("body", "id") == (
        "Pemeriksaan otomatis kami terhadap API pembaruan langsung kembali gagal (timeout)."
    )
    statuses = [
        (u.status, u.text_in("body", "id")[:30]) for u in incident.updates.order_by("display_at", "id")
    ]
    assert statuses[1] == ("monitoring", "Pemeriksaan otomatis kami kemb"), (
        "the recovery text was already one"
    )


def test_anonymous_readers_see_the_monitors_incident_in_their_language(client: Client, api):
    _fail(_monitor(_translate(api)))
    indonesian = client.get("/status/?lang=id").content.decode()
    assert "API pembaruan langsung tidak merespons" in indonesian
    english = client.get("/status/?lang=en").content.decode()
    assert "Live update API is not responding" in english and "merespons" not in english


def test_a_stock_text_the_po_does_not_translate_is_left_to_the_english(db):
    assert (
        actions.stock_translations("Nobody translated %(component)s", "body", lambda _: {"component": "x"})
        == {}
    )
    assert actions.stock_translations(monitor_actions.FAILING_NAME, "name", lambda _: {"component": "X"}) == {
        "id": {"name": "X tidak merespons"}
    }
