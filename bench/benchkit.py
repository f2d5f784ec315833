"""What every bench does before it measures: pin the code it runs, and make its corpus.

Shared by the benches in this folder (each imports it as a sibling module). The desk
and the traffic it receives are in ``capdesk/testing/`` because the suite's short
variants use them too.
"""

# ruff: noqa: S603, S607  (a benchmark helper: it runs our own interpreter, git and tar)

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("/work/shared")
MAKE_CORPUS = SHARED / "bench" / "make_corpus.py"


def pct(xs: list[float], p: float) -> float:
    """The ``p``-th percentile of ``xs``, nearest rank (what every table in BENCHMARKS.md reports)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def snapshot_head(work: Path) -> tuple[Path, str]:
    """``git archive HEAD`` into the work dir: other engineers edit the working tree during a run."""
    return snapshot(work, "HEAD")


def snapshot(work: Path, revision: str) -> tuple[Path, str]:
    """``git archive`` of ``revision`` into the work dir, and its short sha."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = work / f"src-{sha}"
    if not (dest / "capdesk").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest, sha


def capdesk_env(data_dir: Path, support_address: str, src: Path) -> dict[str, str]:
    """The environment of a bench's own Capdesk: embedded SQLite in ``data_dir``, mail not sent, code from ``src``."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        CAPDESK_DATA_DIR=str(data_dir),
        CAPDESK_SUPPORT_ADDRESS=support_address,
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        CAPDESK_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="capdesk.settings",
        PYTHONPATH=str(src),
    )
    return env


def make_corpus(out: Path, n: int, seed: int, *, eightbit: bool = False) -> Path:
    """``make_corpus.py`` into ``out``, unless a corpus of at least ``n`` messages is already there."""
    manifest = out / "manifest.jsonl"
    if manifest.is_file() and len(manifest.read_text().splitlines()) >= n:
        return out
    cmd = [sys.executable, str(MAKE_CORPUS), "--count", str(n), "--seed", str(seed), "--out", str(out)]
    if eightbit:
        cmd += ["--legacy-cte", "8bit"]
    log(" ".join(cmd))
    subprocess.run(cmd, check=True, timeout=900)
    return out
