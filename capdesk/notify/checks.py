"""A system check that stops start-up when outgoing mail is to be DKIM-signed with a key that cannot sign."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from capdesk.notify.dkim_signing import DkimKeyError, load_key


@checks.register()
def check_dkim_key(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    if not settings.CAPDESK_DKIM_SELECTOR:
        return []
    try:
        load_key(settings.CAPDESK_DKIM_PRIVATE_KEY)
    except DkimKeyError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Set CAPDESK_DKIM_PRIVATE_KEY to the PEM from `capdesk dkim-keygen`, or unset CAPDESK_DKIM_SELECTOR.",
                id="notify.E001",
            )
        ]
    return []
