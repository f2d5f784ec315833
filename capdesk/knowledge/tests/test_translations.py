"""Articles in the reader's language: imported or written by agents, read, searched and suggested."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from capdesk.knowledge.demo import load_demo
from capdesk.knowledge.models import Article, ArticleTranslation
from capdesk.portal.actions import user_for_person

pytestmark = pytest.mark.django_db
ID = {"HTTP_ACCEPT_LANGUAGE": "id"}


@pytest.fixture
def demo(db: None) -> None:
    load_demo()


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_it_imports_translations_named_by_file_or_front_matter_and_reports_the_orphans(tmp_path, capsys):
    _write(tmp_path, "rollback.md", "---\ntitle: Roll back\ntags: [rollback]\n---\nUse `channel set`.\n")
    _write(tmp_path, "rollback.id.md", "---\ntitle: Mengembalikan\n---\nGunakan `channel set`.\n")
    _write(tmp_path, "keys.md", "---\ntitle: Key rotation\n---\nKeep the old key.\n")
    _write(
        tmp_path,
        "kunci.md",
        "---\ntitle: Rotasi kunci\nlang: id\ntranslation_of: keys\n---\nSimpan kunci lama.\n",
    )
    _write(tmp_path, "ghost.id.md", "---\ntitle: Hantu\n---\nTidak ada aslinya.\n")
    _write(tmp_path, "keys.fr.md", "---\ntitle: Clés\nlang: fr\n---\nGardez l'ancienne clé.\n")
    with pytest.raises(CommandError, match="2 file"):
        call_command("knowledge", "import", str(tmp_path))
    out = capsys.readouterr().out
    assert "ghost.id.md: failed: no article 'ghost' to translate" in out
    assert "keys.fr.md: failed: articles are not translated into 'fr'" in out
    assert "[6/6]" in out  # a translation before its article is tried again, and counted once
    rollback = ArticleTranslation.objects.get(article__slug="rollback", language="id")
    assert (rollback.title, rollback.source_path) == ("Mengembalikan", "rollback.id.md")
    assert "<code>channel set</code>" in rollback.body_html
    assert ArticleTranslation.objects.get(article__slug="keys").title == "Rotasi kunci"
    # Translations are not articles of their own.
    assert set(Article.objects.values_list("slug", flat=True)) == {"rollback", "keys"}


def test_an_indonesian_reader_reads_the_translation_and_an_english_one_the_article(client, demo):
    page = client.get("/kb/rollback-a-channel/", **ID).content.decode()
    assert "Mengembalikan channel ke bundle sebelumnya" in page
    assert "Perangkat yang sudah memasang bundle" in page
    assert '<article class="card kb-article" lang="id">' in page
    english = client.get("/kb/rollback-a-channel/").content.decode()
    assert "Roll a channel back to an earlier bundle" in english and "Mengembalikan" not in english
    # ?lang= reads it in another language whatever the browser says.
    assert "Mengembalikan channel" in client.get("/kb/rollback-a-channel/?lang=id").content.decode()
    assert "Roll a channel back" in client.get("/kb/rollback-a-channel/?lang=en", **ID).content.decode()


def test_an_untranslated_article_is_shown_as_written_and_the_reader_told(client, demo):
    page = client.get("/kb/encryption-keys/", **ID).content.decode()
    assert 'id="kb-untranslated"' in page
    assert "Artikel ini belum tersedia dalam bahasa Anda" in page
    assert '<article class="card kb-article" lang="en">' in page
    assert 'id="kb-untranslated"' not in client.get("/kb/encryption-keys/").content.decode()


def test_search_and_suggestions_find_articles_by_their_translation_in_the_readers_language(client, demo):
    page = client.get("/kb/", {"q": "mengembalikan bundle"}, **ID).content.decode()
    assert "Mengembalikan channel ke bundle sebelumnya" in page
    # The same words from an English reader: the translation is not searched.
    assert "Roll a channel back" not in client.get("/kb/", {"q": "mengembalikan"}).content.decode()
    # An Indonesian reader searching in English finds it too, titled in Indonesian.
    page = client.get("/kb/", {"q": "rollback"}, **ID).content.decode()
    assert "Mengembalikan channel ke bundle sebelumnya" in page
    data = json.loads(client.get("/kb/suggest.json", {"q": "pembaruan berhenti batas paket"}, **ID).content)
    assert data["articles"][0] == {
        "title": "Perangkat berhenti menerima pembaruan setelah kami melewati batas paket",
        "url": "/kb/updates-stopped-plan-limits/",
        "kind": "article",
        "product_area": "Billing",
    }
    # The index lists each article once, in the reader's language where it can.
    index = client.get("/kb/", **ID).content.decode()
    assert index.count("/kb/rollback-a-channel/") == 1 and "Mengembalikan channel" in index


def test_the_new_request_page_suggests_in_the_customers_language(client, cast, demo):
    client.force_login(user_for_person(cast.developer))
    page = client.get("/portal/requests/new/", {"kb": "rollback channel"}, **ID).content.decode()
    assert 'lang="id">Mengembalikan channel ke bundle sebelumnya</a>' in page


def test_an_agent_translates_an_article_and_sees_when_the_translation_is_outdated(client, cast, demo):
    client.force_login(cast.agent)
    article = client.get("/kb/encryption-keys/").content.decode()
    assert "/kb/encryption-keys/translations/id/" in article and "none yet" in article
    form = client.get("/kb/encryption-keys/translations/id/").content.decode()
    assert (
        "Bahasa Indonesia translation" in form and "Bundle decryption failed" in form
    )  # the original beside
    response = client.post(
        "/kb/encryption-keys/translations/id/", {"title": "Kunci enkripsi", "body": "Simpan **kunci** lama."}
    )
    assert response.status_code == 302
    translation = ArticleTranslation.objects.get(article__slug="encryption-keys", language="id")
    assert translation.body_html.strip() == "<p>Simpan <strong>kunci</strong> lama.</p>"
    assert "Kunci enkripsi" in client.get("/kb/encryption-keys/", **ID).content.decode()
    assert "Outdated" not in client.get("/kb/encryption-keys/").content.decode()
    # The article is revised afterwards: agents see the translation lags behind.
    Article.objects.filter(slug="encryption-keys").update(updated_at=timezone.now() + timedelta(minutes=1))
    assert (
        "Outdated: the article changed after this translation"
        in client.get("/kb/encryption-keys/").content.decode()
    )
    # Deleted: its readers read the article as written again.
    client.post("/kb/encryption-keys/translations/id/", {"delete": "1"})
    assert not ArticleTranslation.objects.filter(article__slug="encryption-keys").exists()
    assert 'id="kb-untranslated"' in client.get("/kb/encryption-keys/", **ID).content.decode()
    # Only the desk's other languages.
    assert client.get("/kb/encryption-keys/translations/fr/").status_code == 404
    assert client.get("/kb/encryption-keys/translations/en/").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "developer", "outsider"])
def test_only_agents_translate_articles(client, cast, demo, who):
    if who != "anonymous":
        client.force_login(user_for_person(getattr(cast, who)))
    response = client.post("/kb/encryption-keys/translations/id/", {"title": "X", "body": "Y"})
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")
    assert not ArticleTranslation.objects.filter(article__slug="encryption-keys").exists()
    client.post("/kb/rollback-a-channel/translations/id/", {"delete": "1"})
    assert ArticleTranslation.objects.filter(article__slug="rollback-a-channel").exists()
    assert "kb-translations" not in client.get("/kb/encryption-keys/").content.decode()


def test_it_searches_in_indonesian_in_a_fixed_number_of_queries(client, demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        client.get("/kb/suggest.json", {"q": "rollback channel pembaruan"}, **ID)
    with django_assert_max_num_queries(4):
        client.get("/kb/", {"q": "rollback channel pembaruan"}, **ID)
