"""Every change to the page reaches the published folder through the worker, once per version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django_tasks_db.models import DBTaskResult

from capdesk.status import actions, publish
from capdesk.status.models import Component


def _summary() -> bytes:
    return (Path(settings.CAPDESK_STATUS_PUBLISH_DIR) / "api/v2/summary.json").read_bytes()


def test_it_republishes_the_page_after_an_incident_is_opened(run_worker: Callable[[], None]) -> None:
    component = Component.objects.create(name="Live update API", position=1)
    actions.touch_page()
    run_worker()
    before = publish.published_version()
    assert before is not None
    assert b"Bundle downloads slow" not in _summary()

    actions.open_incident(
        name="Bundle downloads slow", body="Investigating.", components={component: "partial_outage"}
    )
    run_worker()

    assert (publish.published_version() or 0) > before
    assert b"Bundle downloads slow" in _summary()
    assert b"partial_outage" in _summary()


def test_it_renders_a_burst_of_changes_once(run_worker: Callable[[], None]) -> None:
    component = Component.objects.create(name="Console", position=1)
    for status in ("degraded_performance", "partial_outage", "major_outage", "operational"):
        actions.set_component_status(component, status)
    queued = DBTaskResult.objects.filter(task_path__endswith="publish_snapshot").count()
    assert queued >= 4
    run_worker()

    results = DBTaskResult.objects.filter(task_path__endswith="publish_snapshot")
    published = [r.return_value for r in results if r.return_value is not None]
    assert len(published) == 1  # the first task published the newest version; the rest found it done
    assert publish.published_version() == published[0]
