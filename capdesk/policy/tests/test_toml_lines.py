"""Finding the line of a key in TOML text, for errors found after parsing."""

from __future__ import annotations

from capdesk.policy.toml_lines import line_of, split_key

TEXT = '''\
name = "x"

[scopes."fix.how_to"]
clauses = ["S2.2"]

[replies.accept.en]
body = """
[scopes.fake]
clauses = ["inside a string"]
"""
subject = "s"
'''


def test_it_splits_dotted_keys_with_quoted_parts() -> None:
    assert split_key('scopes."fix.how_to".clauses') == ("scopes", "fix.how_to", "clauses")
    assert split_key("a . 'b.c'") == ("a", "b.c")


def test_it_finds_a_key_under_a_quoted_table() -> None:
    assert line_of(TEXT, ("scopes", "fix.how_to", "clauses")) == 4


def test_it_ignores_lookalikes_inside_multi_line_strings() -> None:
    assert line_of(TEXT, ("scopes", "fake", "clauses")) == 3
    assert line_of(TEXT, ("replies", "accept", "en", "subject")) == 11


def test_it_falls_back_to_the_nearest_table_for_a_missing_key() -> None:
    assert line_of(TEXT, ("replies", "accept", "id")) == 6
    assert line_of(TEXT, ("nothing",)) == 1
