"""The generated SECRET_KEY of the embedded default: one key per data dir, whoever starts first."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

# Everything settings needs is imported first; then all wait for one instant and read the key.
PRINT_KEY = """
import sys, time
import dj_database_url, capdesk.env
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
import capdesk.settings as s
print(s.SECRET_KEY)
"""


def test_processes_starting_together_on_a_fresh_data_dir_all_get_the_same_whole_key(tmp_path: Path) -> None:
    # capdesk run starts web, worker and scheduler at once; before, one could read the
    # file while another was still writing it (an empty key) or write a key of its own.
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {"CAPDESK_DATA_DIR": str(tmp_path)}
    start = str(time.time() + 2)
    starters = [
        subprocess.Popen([sys.executable, "-c", PRINT_KEY, start], env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(16)
    ]
    keys = {starter.communicate(timeout=120)[0].strip() for starter in starters}

    assert len(keys) == 1
    [key] = keys
    assert len(key) >= 50
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob(".secret_key.*"))  # no candidate left behind
