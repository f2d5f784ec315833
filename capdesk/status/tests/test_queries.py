from capdesk.status import actions
from capdesk.status.queries import open_incidents


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
