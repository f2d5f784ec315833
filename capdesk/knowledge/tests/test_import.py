from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from capdesk.knowledge.demo import load_demo
from capdesk.knowledge.models import Article


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


@pytest.mark.django_db
def test_it_imports_a_folder_with_progress_and_updates_by_slug_on_a_second_run(tmp_path, capsys):
    _write(
        tmp_path,
        "rollback.md",
        "---\ntitle: Roll back\nproduct_area: Live Updates\ntags: [rollback]\n---\nUse `channel set`.\n",
    )
    (tmp_path / "issues").mkdir()
    _write(
        tmp_path, "issues/keys.md", "---\ntitle: Key rotation\nkind: known_issue\n---\nKeep the old key.\n"
    )
    call_command("knowledge", "import", str(tmp_path))
    out = capsys.readouterr().out
    assert "[1/2] issues/keys.md: created" in out
    assert "[2/2] rollback.md: created" in out
    article = Article.objects.get(slug="rollback")
    assert article.product_area == "Live Updates" and article.tags == ["rollback"]
    assert "<code>channel set</code>" in article.body_html
    assert Article.objects.get(slug="keys").kind == "known_issue"

    _write(tmp_path, "rollback.md", "---\ntitle: Roll a channel back\n---\nNew text.\n")
    call_command("knowledge", "import", str(tmp_path))
    assert "0 created, 2 updated, 0 failed" in capsys.readouterr().out
    assert Article.objects.get(slug="rollback").title == "Roll a channel back"


@pytest.mark.django_db
def test_it_reports_a_bad_file_and_still_imports_the_others(tmp_path, capsys):
    _write(tmp_path, "a.md", "no front matter here\n")
    _write(tmp_path, "b.md", "---\ntitle: Fine\n---\nok\n")
    with pytest.raises(CommandError, match="1 file"):
        call_command("knowledge", "import", str(tmp_path))
    assert "a.md: failed: no front matter" in capsys.readouterr().out
    assert list(Article.objects.values_list("slug", flat=True)) == ["b"]


@pytest.mark.django_db
def test_it_loads_the_demo_articles_twice_without_duplicates():
    first = load_demo()
    assert first.created >= 5 and not first.failed
    second = load_demo()
    assert second.created == 0 and second.updated == first.created
    assert Article.objects.filter(kind="known_issue").exists()
