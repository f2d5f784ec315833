"""Fixtures for the policy tests: the shipped policy, and a way to write a broken copy of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from capdesk.policy.document import Policy
from capdesk.policy.loader import load_policy

SHIPPED = Path(__file__).resolve().parents[1] / "capgo_policy.toml"


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(SHIPPED)


@pytest.fixture
def policy_copy(tmp_path: Path) -> Callable[[str, str], tuple[Path, int]]:
    """Write the shipped policy with ``old`` replaced by ``new``; return the file and the changed line."""

    def write(old: str, new: str) -> tuple[Path, int]:
        text = SHIPPED.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in the shipped policy"
        line = text[: text.index(old)].count("\n") + 1
        path = tmp_path / "policy.toml"
        path.write_text(text.replace(old, new), encoding="utf-8")
        return path, line

    return write
