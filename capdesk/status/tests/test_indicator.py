"""The overall indicator is a pure function: no database here."""

from capdesk.status.indicator import footer_indicator, overall_status, worst_component_status


def test_it_reads_all_systems_operational_when_nothing_is_wrong():
    state = overall_status(["operational", "operational"], [])
    assert (state.indicator, state.description) == ("none", "All Systems Operational")


def test_it_takes_the_worst_of_components_and_open_incidents():
    assert overall_status(["degraded_performance"], []).indicator == "minor"
    assert overall_status(["partial_outage"], ["minor"]).indicator == "major"
    assert overall_status(["operational"], ["critical"]).indicator == "critical"
    assert overall_status(["major_outage"], ["minor"]).description == "Major System Outage"


def test_an_incident_of_no_impact_does_not_raise_the_indicator():
    assert overall_status(["operational"], ["none"]).indicator == "none"


def test_it_shows_maintenance_only_when_nothing_is_broken():
    assert overall_status(["under_maintenance", "operational"], []).indicator == "maintenance"
    assert overall_status(["operational"], [], maintenance_in_progress=True).indicator == "maintenance"
    assert overall_status(["under_maintenance", "partial_outage"], []).indicator == "major"


def test_strict_mode_never_says_maintenance_but_keeps_the_honest_description():
    state = overall_status(["under_maintenance"], [], maintenance_in_progress=True, strict=True)
    assert state.indicator == "none"
    assert state.description == "Service Under Maintenance"


def test_the_footer_says_up_only_when_all_is_well():
    assert footer_indicator("none") == "up"
    assert footer_indicator("minor") == "degraded"
    assert footer_indicator("critical") == "down"
    assert footer_indicator("maintenance") == "maintenance"
    assert footer_indicator("bogus") == "unknown"


def test_a_group_takes_its_worst_members_status():
    assert (
        worst_component_status(["operational", "partial_outage", "degraded_performance"]) == "partial_outage"
    )
    assert worst_component_status(["operational", "under_maintenance"]) == "under_maintenance"
    assert worst_component_status(["under_maintenance", "major_outage"]) == "major_outage"
    assert worst_component_status([]) == "operational"
