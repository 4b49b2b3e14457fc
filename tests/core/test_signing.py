"""Standard Webhooks signatures, both directions between the portal and agency systems: what one side signs
the other verifies, and nothing else passes — another body, another secret, another time, another id."""

from __future__ import annotations

import base64

import pytest

from dichvucong.core import signing
from dichvucong.core.signing import SignatureError

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"MaHoSo": "000.00.01.H26-261123-0001", "TrangThaiHoSo": 1}'
NOW = 1_795_000_000


def test_the_signature_is_the_one_other_standard_webhooks_libraries_compute() -> None:
    # The example message of the Standard Webhooks reference libraries' tests.
    assert (
        signing.signature(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_what_is_signed_verifies_and_gives_back_the_message_id() -> None:
    headers = signing.sign(SECRET, "msg-1", BODY, timestamp=NOW)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert signing.verify(SECRET, headers, BODY, now=NOW + 10) == "msg-1"


def test_header_names_are_matched_whatever_their_case() -> None:
    headers = {k.title(): v for k, v in signing.sign(SECRET, "msg-1", BODY, timestamp=NOW).items()}
    assert signing.verify(SECRET, headers, BODY, now=NOW) == "msg-1"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h, b: (h, b + b" "), id="body"),
        pytest.param(lambda h, b: ({**h, "webhook-id": "msg-2"}, b), id="message-id"),
        pytest.param(lambda h, b: ({**h, "webhook-timestamp": str(NOW + 1)}, b), id="timestamp"),
        pytest.param(lambda h, b: ({**h, "webhook-signature": "v1," + "A" * 44}, b), id="signature"),
    ],
)
def test_a_tampered_message_is_refused(tamper: object) -> None:
    headers, body = tamper(signing.sign(SECRET, "msg-1", BODY, timestamp=NOW), BODY)  # type: ignore[operator]
    with pytest.raises(SignatureError):
        signing.verify(SECRET, headers, body, now=NOW)


def test_another_secret_is_refused() -> None:
    headers = signing.sign(signing.new_secret(), "msg-1", BODY, timestamp=NOW)
    with pytest.raises(SignatureError, match="no signature matches"):
        signing.verify(SECRET, headers, BODY, now=NOW)


def test_a_message_outside_the_time_window_is_refused_both_ways() -> None:
    headers = signing.sign(SECRET, "msg-1", BODY, timestamp=NOW)
    assert signing.verify(SECRET, headers, BODY, now=NOW + signing.DEFAULT_TOLERANCE_SECONDS) == "msg-1"
    for now in (NOW + signing.DEFAULT_TOLERANCE_SECONDS + 1, NOW - signing.DEFAULT_TOLERANCE_SECONDS - 1):
        with pytest.raises(SignatureError, match="window"):
            signing.verify(SECRET, headers, BODY, now=now)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(missing: str) -> None:
    headers = signing.sign(SECRET, "msg-1", BODY, timestamp=NOW)
    del headers[missing]
    with pytest.raises(SignatureError, match="missing"):
        signing.verify(SECRET, headers, BODY, now=NOW)


def test_a_timestamp_that_is_not_a_number_is_refused() -> None:
    headers = {**signing.sign(SECRET, "msg-1", BODY, timestamp=NOW), "webhook-timestamp": "soon"}
    with pytest.raises(SignatureError, match="integer"):
        signing.verify(SECRET, headers, BODY, now=NOW)


def test_while_a_secret_rotates_either_secret_verifies_a_message_signed_with_both() -> None:
    old, new = SECRET, signing.new_secret()
    single = [signing.sign(s, "msg-1", BODY, timestamp=NOW)["webhook-signature"] for s in (old, new)]
    headers = {**signing.sign(old, "msg-1", BODY, timestamp=NOW), "webhook-signature": " ".join(single)}
    assert signing.verify(old, headers, BODY, now=NOW) == "msg-1"
    assert signing.verify(new, headers, BODY, now=NOW) == "msg-1"
    with pytest.raises(SignatureError):
        signing.verify(signing.new_secret(), headers, BODY, now=NOW)


def test_new_secrets_are_whsec_and_32_random_bytes() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_a_signed_json_message_is_compact_utf8_names_its_key_and_verifies() -> None:
    payload, headers = signing.signed_json(
        SECRET, "ubnd-01", "msg-2", {"ChuHoSo": "Nguyễn Văn An", "n": [1, 2]}
    )
    assert payload == '{"ChuHoSo":"Nguyễn Văn An","n":[1,2]}'.encode()
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-dvc-key-id"] == "ubnd-01"
    assert signing.verify(SECRET, headers, payload) == "msg-2"
    with pytest.raises(SignatureError):
        signing.verify(SECRET, headers, payload.replace(b"An", "Ân".encode()))
