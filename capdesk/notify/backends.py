"""An email backend for the embedded desk: one readable ``.eml`` file per message.

Django's file backend appends many messages to one log file; a new user following
the README wants to open "the latest email" and click its magic link.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class EmlDirectoryBackend(BaseEmailBackend):
    _lock = threading.Lock()
    _counter = 0

    def __init__(self, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            with self._lock:
                EmlDirectoryBackend._counter += 1
                name = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}-{self._counter}.eml"
            target = self.directory / name
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(message.message().as_bytes(linesep="\n"))
            tmp.replace(target)  # readers never see a half-written file
            sent += 1
        return sent
