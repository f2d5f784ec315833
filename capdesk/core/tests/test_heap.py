import gc

from capdesk.core.heap import YOUNG_THRESHOLD, freeze_startup_objects


def test_it_moves_the_start_up_heap_out_of_the_collectors_sight_and_still_collects_new_garbage():
    before, thresholds = gc.get_freeze_count(), gc.get_threshold()
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > before
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD

        class Cycle:
            other: object

        a, b = Cycle(), Cycle()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2  # made after the freeze: still the collector's
    finally:
        gc.unfreeze()  # the rest of the test session keeps its usual collector
        gc.set_threshold(*thresholds)
