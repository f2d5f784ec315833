"""Demo knowledge base: a few Capgo articles and known issues, loaded by ``load_demo()``."""

from __future__ import annotations

from pathlib import Path

from capdesk.knowledge.actions import ImportReport, import_folder

DEMO_FOLDER = Path(__file__).resolve().parent / "demo_articles"


def load_demo() -> ImportReport:
    """Import the demo articles; safe to run twice (articles are updated by slug)."""
    return import_folder(DEMO_FOLDER)
