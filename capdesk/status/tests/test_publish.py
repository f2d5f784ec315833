"""The published snapshot: the same bytes as the views, written on every change, once per version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from capdesk.status import actions, page_data, publish
from capdesk.status.models import Component, ComponentStatusChange, Incident

pytestmark = pytest.mark.usefixtures("frozen")


def _published_dir() -> Path:
    return Path(settings.CAPDESK_STATUS_PUBLISH_DIR)


@pytest.fixture
def incident(api: Component, console: Component) -> None:
    actions.open_incident(
        name="Bundle downloads slow", body="Investigating.", components={api: "degraded_performance"}
    )


@pytest.mark.parametrize("language", ["en", "id"])
def test_it_publishes_every_document_byte_for_byte_as_the_views_serve_it(
    client: Client, incident: None, language: str
) -> None:
    publish.publish()
    manifest = publish.read_manifest(_published_dir())
    assert manifest is not None
    paths = {doc.path for doc in manifest.documents}
    assert {"/status/", "/api/v2/summary.json", "/api/v2/scheduled-maintenances/upcoming.json"} <= paths
    assert {"/status.json", "/history.atom", "/history.rss", "/maintenance.ics"} <= paths
    for doc in manifest.documents:
        if doc.language not in ("", language) or doc.path.startswith(settings.STATIC_URL):
            continue  # the static files come from the finders, not a view (the next test)
        # A feed's copy in a language is the one its URL asks for (?lang=); pages are negotiated.
        url = f"{doc.path}?lang={doc.language}" if doc.path in publish.FEEDS and doc.language else doc.path
        response = client.get(url, headers={"accept-language": language})
        published = (_published_dir() / doc.file).read_bytes()
        assert published == response.content, doc.path
        assert doc.etag == response["ETag"] == publish.etag_of(published)
        assert doc.content_type == response["Content-Type"]
        assert dict(doc.headers)["Cache-Control"] == response["Cache-Control"]
    page = (_published_dir() / publish.file_name("/status/", language)).read_text()
    assert f'<html lang="{language}"' in page
    assert "Bundle downloads slow" in page


def test_it_publishes_the_stylesheets_the_page_links_under_the_same_urls(
    client: Client, incident: None
) -> None:
    publish.publish()
    manifest = publish.read_manifest(_published_dir())
    assert manifest is not None
    static = {doc.path: doc for doc in manifest.documents if doc.path.startswith(settings.STATIC_URL)}
    assert set(static) == {"/static/capdesk/capdesk.css", "/static/status/status.css"}
    for path, doc in static.items():
        assert doc.file == path.lstrip("/")
        assert doc.content_type == "text/css; charset=utf-8"
        assert (_published_dir() / doc.file).read_bytes() == client.get(path).getvalue()
        assert doc.etag == publish.etag_of((_published_dir() / doc.file).read_bytes())


def test_it_publishes_the_strict_documents_when_the_strict_setting_is_on(
    client: Client, incident: None, settings
) -> None:
    settings.CAPDESK_STATUS_STRICT = True
    publish.publish()
    body = (_published_dir() / "api/v2/summary.json").read_bytes()
    assert body == client.get("/api/v2/summary.json").content


def test_it_writes_the_manifest_with_the_version_and_each_paths_type_and_etag(incident: None) -> None:
    version = publish.publish()
    raw = json.loads((_published_dir() / publish.MANIFEST).read_text())
    assert version is not None
    assert raw["version"] == version > 0
    summary = next(d for d in raw["documents"] if d["path"] == "/api/v2/summary.json")
    assert summary["content_type"] == "application/json; charset=utf-8"
    assert summary["etag"].startswith('"')
    assert ["Access-Control-Allow-Origin", "*"] in summary["headers"]


def test_it_skips_a_publish_that_finds_the_folder_already_at_the_current_version(incident: None) -> None:
    first = publish.publish(only_if_behind=True)
    assert first is not None
    assert publish.publish(only_if_behind=True) is None
    actions.post_incident_update(Incident.objects.get(), status="identified", body="Found it.")
    assert publish.publish(only_if_behind=True) == first + 1


def test_it_leaves_unchanged_files_alone_when_republishing_the_same_version(incident: None) -> None:
    publish.publish()
    page = _published_dir() / "status/index.html"
    before = page.stat().st_mtime_ns, page.stat().st_ino
    publish.publish()
    assert (page.stat().st_mtime_ns, page.stat().st_ino) == before


def test_it_publishes_to_another_folder_from_the_command(incident: None, tmp_path: Path) -> None:
    call_command("status_publish", "--dir", str(tmp_path / "cdn"))
    assert (tmp_path / "cdn" / "status" / "index.id.html").exists()
    assert (tmp_path / "cdn" / publish.MANIFEST).exists()


def test_it_reads_the_uptime_history_once_per_publish_for_every_language_and_status_json(
    incident: None,
) -> None:
    with CaptureQueriesContext(connection) as queries:
        publish.publish()
    table = ComponentStatusChange._meta.db_table
    assert (
        len([q for q in queries.captured_queries if f'FROM "{table}" WHERE "{table}"."at" >=' in q["sql"]])
        == 1
    )


def test_it_shares_the_component_rows_within_a_publish_only_until_the_version_moves(api: Component) -> None:
    with page_data.shared():
        rows = page_data.component_rows()
        assert page_data.component_rows() is rows
        actions.set_component_status(api, "major_outage")
        moved = page_data.component_rows()
    assert moved is not rows
    assert [r.status for r in moved] == ["major_outage"]
    assert page_data.component_rows() is not page_data.component_rows()
