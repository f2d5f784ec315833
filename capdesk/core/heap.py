"""Keep the cyclic garbage collector off what lives as long as the process.

A served request makes tens of thousands of short-lived objects, so with Python's
default thresholds the collector runs every 700 allocations, promotes whatever a
request still holds at that moment, and every few runs walks everything the process
has: Django's modules, models, URL patterns and translations. On the console's 200-row
queue page that walk was the whole tail. In-process on the 1M-ticket bench, 150
requests: p95 108 ms as is; 64 ms with the start-up heap frozen; 47 ms frozen and with
a young generation of 50,000 (p50 34-37 ms in all three). Request garbage is still
collected: most of it by reference counting at once, cycles at the next young pass.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # allocations between young collections (Python's default: 700)
OLDER_THRESHOLDS = (20, 20)  # young passes per middle one, middle passes per full one (default 10, 10)


def freeze_startup_objects() -> None:
    """Call once the application is built, before serving: collect what start-up left, freeze the rest."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
