"""Start-up checks for the status page's settings: a typo stops the desk with a clear message."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_status_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    zone = settings.CAPDESK_STATUS_TIME_ZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(
            Error(
                f"CAPDESK_STATUS_TIME_ZONE is not an IANA time zone: {zone!r}",
                hint="Use a name such as Etc/UTC or Asia/Jakarta.",
                id="status.E001",
            )
        )
    if not str(settings.CAPDESK_STATUS_URL).startswith(("http://", "https://")):
        errors.append(Error("CAPDESK_STATUS_URL must be an absolute http(s) URL", id="status.E002"))
    return errors
