from datetime import UTC, datetime

from capdesk.status import actions
from capdesk.status.queries import OpenIncident, best_match, open_incidents

T = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
UPLOADS = OpenIncident("a1", "Bundle uploads failing", "https://s/a1", "major", T, ("CLI and bundle upload",))
CONSOLE = OpenIncident("b2", "Console login errors", "https://s/b2", "minor", T, ("Console",))


def test_it_matches_a_request_to_the_incident_it_is_about():
    text = "Our CI cannot upload a new bundle, the CLI and bundle upload step returns 502"
    assert best_match(text, [CONSOLE, UPLOADS]) == UPLOADS
    assert (
        best_match("I cannot log in to the console, login errors everywhere", [UPLOADS, CONSOLE]) == CONSOLE
    )


def test_it_matches_nothing_when_the_request_is_about_something_else():
    assert best_match("How do I set up encryption for my bundles?", [UPLOADS, CONSOLE]) is None
    assert best_match("anything", []) is None


def test_open_incidents_lists_only_unresolved_ones_as_plain_values(api):
    open_one = actions.open_incident(
        name="Downloads slow", body="x", components={api: "degraded_performance"}
    )
    closed = actions.open_incident(name="Old", body="y")
    actions.resolve_incident(closed)
    (listed,) = open_incidents()
    assert listed.public_id == open_one.public_id
    assert listed.components == ("Live update API",)
    assert listed.url.endswith(f"/status/incidents/{open_one.public_id}")
