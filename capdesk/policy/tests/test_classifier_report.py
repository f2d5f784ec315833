"""The classifier's blocks in BENCHMARKS.md are rewritten in place; other sections are left alone."""

from pathlib import Path

from capdesk.policy.classifier.report import SECTION, write_block


def test_it_adds_its_section_and_rewrites_only_its_own_block(tmp_path: Path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## decide()\n\n20,000 decisions/s\n")
    write_block(path, "accuracy", "first")
    write_block(path, "speed", "fast")
    path.write_text(path.read_text() + "\n## status page\n\nkeep me\n")
    write_block(path, "accuracy", "second")
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\n## decide()\n\n20,000 decisions/s\n\n" + SECTION)
    assert "second" in text and "first" not in text and "fast" in text
    assert text.endswith("<!-- classifier:speed:end -->\n\n## status page\n\nkeep me\n")
    assert text.count(SECTION) == 1
