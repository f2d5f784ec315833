import pytest

from capdesk.core import webhook_signatures as ws

# The reference vector published with the Standard Webhooks libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _spec_headers(signature: str = SPEC_SIGNATURE) -> dict[str, str]:
    return {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TIMESTAMP), "webhook-signature": signature}


def test_it_signs_the_specs_reference_message_exactly() -> None:
    assert ws.signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_it_verifies_the_specs_reference_message() -> None:
    message = ws.verify(SPEC_SECRET, _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + 10)
    assert message.webhook_id == SPEC_ID
    assert message.timestamp == SPEC_TIMESTAMP


def test_it_round_trips_with_a_generated_secret() -> None:
    secret = ws.generate_secret()
    assert secret.startswith("whsec_")
    headers = ws.sign(secret, "msg_1", b"{}", timestamp=1_700_000_000)
    assert ws.verify(secret, headers, b"{}", now=1_700_000_000).body == b"{}"


def test_it_accepts_a_secret_without_its_prefix() -> None:
    bare = SPEC_SECRET.removeprefix("whsec_")
    assert ws.verify(bare, _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP).webhook_id == SPEC_ID


def test_it_finds_the_matching_signature_among_several() -> None:
    other = ws.signature(ws.generate_secret(), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    headers = _spec_headers(f"v1a,c29tZXRoaW5n {other} {SPEC_SIGNATURE}")
    assert ws.verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP).webhook_id == SPEC_ID


def test_it_signs_with_every_secret_during_a_rotation() -> None:
    old, new = ws.generate_secret(), ws.generate_secret()
    headers = ws.sign([old, new], "msg_2", b"x", timestamp=100)
    assert len(headers["webhook-signature"].split()) == 2
    assert ws.verify(old, headers, b"x", now=100).webhook_id == "msg_2"
    assert ws.verify(new, headers, b"x", now=100).webhook_id == "msg_2"


def test_it_reads_headers_in_any_case() -> None:
    headers = {key.upper(): value for key, value in _spec_headers().items()}
    assert ws.verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP).webhook_id == SPEC_ID


@pytest.mark.parametrize(
    "body",
    [b'{"test": 2432232315}', b'{"test": 2432232314} ', b""],
    ids=["changed", "trailing space", "empty"],
)
def test_it_refuses_a_changed_body(body: bytes) -> None:
    with pytest.raises(ws.BadSignature):
        ws.verify(SPEC_SECRET, _spec_headers(), body, now=SPEC_TIMESTAMP)


def test_it_refuses_another_secret() -> None:
    with pytest.raises(ws.BadSignature):
        ws.verify(ws.generate_secret(), _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP)


def test_it_refuses_a_signature_moved_to_another_id() -> None:
    headers = {**_spec_headers(), "webhook-id": "msg_other"}
    with pytest.raises(ws.BadSignature):
        ws.verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize(
    "signature",
    ["g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "v2," + SPEC_SIGNATURE[3:], "v1,not base64!", "v1,"],
    ids=["no version", "unknown version", "not base64", "empty"],
)
def test_it_refuses_signatures_it_cannot_use(signature: str) -> None:
    with pytest.raises(ws.BadSignature):
        ws.verify(SPEC_SECRET, _spec_headers(signature), SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_it_names_a_missing_header(missing: str) -> None:
    headers = {key: value for key, value in _spec_headers().items() if key != missing}
    with pytest.raises(ws.MissingHeaders, match=missing):
        ws.verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


def test_it_refuses_a_timestamp_that_is_not_a_number() -> None:
    headers = {**_spec_headers(), "webhook-timestamp": "2021-02-25T15:02:10Z"}
    with pytest.raises(ws.InvalidTimestamp):
        ws.verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("offset", [-301, 301], ids=["too old", "too far ahead"])
def test_it_refuses_a_timestamp_outside_the_tolerance(offset: int) -> None:
    with pytest.raises(ws.StaleTimestamp):
        ws.verify(SPEC_SECRET, _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP - offset, tolerance_seconds=300)


@pytest.mark.parametrize("offset", [-300, 300], ids=["just old enough", "just early enough"])
def test_it_accepts_a_timestamp_at_the_edge_of_the_tolerance(offset: int) -> None:
    message = ws.verify(
        SPEC_SECRET, _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP - offset, tolerance_seconds=300
    )
    assert message.webhook_id == SPEC_ID


@pytest.mark.parametrize("secret", ["whsec_not base64!", "whsec_", ""])
def test_it_refuses_to_work_with_a_malformed_secret(secret: str) -> None:
    with pytest.raises(ws.InvalidSecret):
        ws.sign(secret, "msg", b"")
    with pytest.raises(ws.InvalidSecret):
        ws.verify(secret, _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP)
