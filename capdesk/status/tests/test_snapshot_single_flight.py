"""Render on change, once: when the page version moves, concurrent readers share one rendering."""

from __future__ import annotations

import time

import pytest

from capdesk.status import actions, snapshot
from capdesk.testing.races import at_once

READERS = 8


@pytest.mark.django_db(transaction=True)  # the readers are other threads: they must see committed rows
def test_it_builds_a_document_once_when_many_readers_miss_it_together():
    actions.touch_page()
    builds: list[int] = []

    def build() -> bytes:
        builds.append(1)
        time.sleep(0.2)  # a page render takes tens of milliseconds: long enough for all to miss
        return b"page v1"

    bodies = at_once(lambda: snapshot.rendered("single-flight", build).body, READERS, timeout=60)
    assert bodies == [b"page v1"] * READERS
    assert len(builds) == 1

    actions.touch_page()  # a new version is built again, once
    assert snapshot.rendered("single-flight", lambda: b"page v2").body == b"page v2"
