"""The vendor's callback signature: good, bad, stale either side, missing, tampered."""

import hashlib
import hmac

import pytest

from shared.signature import SignatureError, sign, signature, verify

SECRET = "s3cret"
BODY = b'{"receipts": [{"message_id": "m1", "status": "SENT", "at": "2026-01-01T00:00:00Z"}]}'
NOW = 1_800_000_000


def test_good_signature_passes() -> None:
    verify(SECRET, sign(SECRET, NOW, BODY), BODY, now=NOW)


def test_signature_is_the_documented_hmac() -> None:
    want = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, NOW, BODY) == want
    assert sign(SECRET, NOW, BODY) == f"t={NOW},v1={want}"


@pytest.mark.parametrize("skew", [-300, -1, 0, 1, 300])
def test_timestamps_within_300s_pass(skew: int) -> None:
    verify(SECRET, sign(SECRET, NOW + skew, BODY), BODY, now=NOW)


@pytest.mark.parametrize("skew", [-301, 301, -86_400, 86_400])
def test_stale_or_future_timestamps_fail(skew: int) -> None:
    with pytest.raises(SignatureError, match="window"):
        verify(SECRET, sign(SECRET, NOW + skew, BODY), BODY, now=NOW)


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header_fails(header: str | None) -> None:
    with pytest.raises(SignatureError, match="missing"):
        verify(SECRET, header, BODY, now=NOW)


def test_tampered_body_fails() -> None:
    header = sign(SECRET, NOW, BODY)
    for tampered in (BODY.replace(b"SENT", b"FAIL"), BODY + b" ", BODY[:-1], b""):
        with pytest.raises(SignatureError, match="does not match"):
            verify(SECRET, header, tampered, now=NOW)


def test_wrong_secret_fails() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, sign("other", NOW, BODY), BODY, now=NOW)


def test_timestamp_is_part_of_what_is_signed() -> None:
    # The same v1 with a fresher t (a replay attempt) does not verify.
    v1 = signature(SECRET, NOW - 1000, BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, f"t={NOW},v1={v1}", BODY, now=NOW)


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=abc,v1=00", f"t={NOW}", "v1=00", f"t={NOW},v0=00", "t=,v1="],
)
def test_malformed_headers_fail(header: str) -> None:
    with pytest.raises(SignatureError):
        verify(SECRET, header, BODY, now=NOW)


def test_non_ascii_candidate_fails_cleanly() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, f"t={NOW},v1=é{'0' * 63}", BODY, now=NOW)


def test_any_of_several_v1_values_may_match() -> None:
    # A vendor rotating its secret signs with the old and the new one.
    good = signature(SECRET, NOW, BODY)
    verify(SECRET, f"t={NOW},v1={'0' * 64},v1={good}", BODY, now=NOW)
    verify(SECRET, f" t={NOW} , v1={good.upper()} ", BODY, now=NOW)
