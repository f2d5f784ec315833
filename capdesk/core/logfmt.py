"""A log formatter that shows the structured ``extra={...}`` fields as key=value pairs."""

from __future__ import annotations

import logging

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if extras:
            line += " " + " ".join(
                f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in extras.items()
            )
        return line
