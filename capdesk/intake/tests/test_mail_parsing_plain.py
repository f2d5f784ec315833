"""Plain header values are read without the email package's header objects, with the same result.

``mail_parsing`` reads From, To, Cc, Subject, Message-ID, In-Reply-To and References from
the raw value when it is plain (printable ASCII, no encoded word, the simple forms of an
address or an id): what the email package would return is then known. These tests hold
it to that, value by value and message by message.
"""

from __future__ import annotations

from email import policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capdesk.intake import mail_parsing
from capdesk.intake.mail_parsing import _plain_header, _printable, parse

SAMPLES = sorted((Path(__file__).parent / "samples").rglob("*.eml"))
# The header names read through each kind of plain reading.
NAMES = {
    "text": ("Subject", "In-Reply-To", "References"),
    "message-id": ("Message-ID",),
    "addresses": ("From", "To", "Cc"),
}


def _by_the_email_package(name: str, value: str) -> str:
    return _printable(str(policy.default.header_fetch_parse(name, value))).strip()


_ATOM = st.text("abcXYZ019!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=4)
_DOT_ATOM = st.lists(_ATOM, min_size=1, max_size=3).map(".".join)
_ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}", _DOT_ATOM, _DOT_ATOM)
_SPACE = st.sampled_from(["", "", " ", "\t", "\r\n ", "  "])
_WORD = st.text("aZ09.,'-\"\\ ", min_size=1, max_size=5)
_NAME = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)
_LIST_SEPARATOR = st.sampled_from([", ", ",", " , ", ",  "])
# Near the plain forms and on either side of their edges, and anything at all.
HEADER_VALUES = st.one_of(
    st.builds(lambda a, i, b, tail: f"{a}<{i}>{b}{tail}", _SPACE, _ADDRESS, _SPACE, st.sampled_from(["", " <x@y>", " (c)"])),
    st.builds(lambda a, sep, addresses, b: a + sep.join(addresses) + b, _SPACE, _LIST_SEPARATOR, st.lists(_ADDRESS, min_size=1, max_size=3), _SPACE),
    st.builds(lambda a, name, quoted, gap, address, b: a + (f'"{name}"' if quoted else name) + gap + f"<{address}>" + b,
              _SPACE, _NAME, st.booleans(), st.sampled_from([" ", "", "  "]), _ADDRESS, _SPACE),
    st.lists(st.sampled_from([*"aZ0 .,;:@<>\"'()[]\\=?\t\x00\x7fé", "\r\n ", "=?utf-8?q?x?="]), max_size=30).map("".join),
    st.text(max_size=40),
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(HEADER_VALUES)
def test_it_reads_a_plain_value_as_the_email_package_does(value: str) -> None:
    for kind, names in NAMES.items():
        plain = _plain_header(kind, value)
        if plain is not None:
            for name in names:
                assert plain == _by_the_email_package(name, value), (kind, name)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("addresses", '"Hana Dewi" <hana@mail.example>', "Hana Dewi <hana@mail.example>"),
        ("addresses", '"B. Kusuma" <b.k@a.example>', '"B. Kusuma" <b.k@a.example>'),
        ("addresses", "support@desk.example, sari@mail.example", "support@desk.example, sari@mail.example"),
        ("message-id", " <1.2.3@mail.example>", "<1.2.3@mail.example>"),
        ("text", "Login fails\r\n  after the update", "Login fails  after the update"),
        ("addresses", "=?utf-8?q?Hana?= <hana@mail.example>", None),
        ("addresses", "Hana <hana@mail.example> (work)", None),
        ("message-id", "<1.2.3@mail.example", None),
        ("text", "Caf\udce9", None),
    ],
)
def test_it_reads_the_common_forms_plainly_and_leaves_the_rest_to_the_email_package(
    kind: str, value: str, expected: str | None
) -> None:
    assert _plain_header(kind, value) == expected


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name)
def test_it_parses_every_sample_as_the_email_package_alone_does(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = sample.read_bytes()
    plainly = parse(raw)
    monkeypatch.setattr(mail_parsing, "_PLAIN_KINDS", {})
    assert plainly == parse(raw)
