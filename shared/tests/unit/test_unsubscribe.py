"""One-click unsubscribe tokens: what is signed is read back; anything else is refused."""

from __future__ import annotations

import pytest

from shared.unsubscribe import BadToken, Unsubscribe, make_token, read_token

SECRET = "a-test-secret-of-some-length-000"


def test_a_token_names_its_customer_and_channel() -> None:
    token = make_token(SECRET, "Zoë/42+x", "email")
    assert token.startswith("email.")
    assert read_token(SECRET, token) == Unsubscribe("Zoë/42+x", "email")


def test_another_secret_or_an_edited_token_is_forged() -> None:
    token = make_token(SECRET, "c-1", "email")
    with pytest.raises(BadToken) as wrong_secret:
        read_token("another-secret", token)
    assert wrong_secret.value.forged
    # Another customer's id under this one's signature.
    other = make_token(SECRET, "c-2", "email").split(".")[1]
    channel, _, mac = token.split(".")
    with pytest.raises(BadToken) as swapped:
        read_token(SECRET, f"{channel}.{other}.{mac}")
    assert swapped.value.forged
    # The signature of the email channel does not stop sms.
    with pytest.raises(BadToken) as other_channel:
        read_token(SECRET, "sms." + token.partition(".")[2])
    assert other_channel.value.forged


@pytest.mark.parametrize(
    "token", ["", "nonsense", "fax.YQ.YQ", "email..YQ", "email.YQ.", "email.%%%.YQ", "x" * 401]
)
def test_malformed_tokens_are_not_forgeries(token: str) -> None:
    with pytest.raises(BadToken) as refused:
        read_token(SECRET, token)
    assert not refused.value.forged
