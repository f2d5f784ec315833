def test_a_subject_too_long_for_the_column_is_cut_at_a_word_with_an_ellipsis() -> None:
    from capdesk.tickets.actions import SUBJECT_LENGTH, clip_subject

    long = "Bundle " + "downloads fail on " * 40 + "Android"
    clipped = clip_subject(long)
    assert len(clipped) <= SUBJECT_LENGTH and clipped.endswith("…")
    assert long.startswith(clipped[:-1]) and long[len(clipped) - 1] == " "  # cut between words
    assert clip_subject("  Short one  ") == "Short one"
    assert clip_subject("x" * 400) == "x" * (SUBJECT_LENGTH - 1) + "…"  # one word: cut anyway
