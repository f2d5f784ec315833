"""What every bench does before it measures: pin the code it runs, and make its corpus.

Shared by the benches in this folder (each imports it as a sibling module). The desk
and the traffic it receives are in ``capdesk/testing/`` because the suite's short
variants use them too.
"""

# ruff: noqa: S603, S607  (a benchmark helper: it runs our own interpreter, git and tar)

from __future__ import annotations

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
    sha = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    dest = work / f"src-{sha}"
    if not (dest / "capdesk").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest, sha


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
