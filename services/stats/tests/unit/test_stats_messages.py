"""What WebSocket clients may send; everything else is an error reply, never a crash."""

import pytest

from services.stats.domain.messages import (
    ClientMessageError,
    Reauthenticate,
    Subscribe,
    parse_client_message,
)


def test_subscribe_and_pong() -> None:
    assert parse_client_message(
        '{"type": "subscribe", "campaign_ids": ["a", "b", "a"]}', max_ids=10
    ) == Subscribe(("a", "b"))
    assert parse_client_message(b'{"type":"subscribe","campaign_ids":[]}', max_ids=10) == Subscribe(
        ()
    )
    assert parse_client_message('{"type": "pong"}', max_ids=10) is None


def test_auth_carries_a_fresh_token() -> None:
    message = '{"type": "auth", "access_token": "eyJ.x.y"}'
    assert parse_client_message(message, max_ids=10) == Reauthenticate("eyJ.x.y")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("not json", "JSON"),
        ("[1, 2]", "object"),
        ('{"type": "unsubscribe"}', "unknown message type"),
        ("{}", "unknown message type"),
        ('{"type": "auth"}', "access_token"),
        ('{"type": "auth", "access_token": 5}', "access_token"),
        ('{"type": "subscribe"}', "list"),
        ('{"type": "subscribe", "campaign_ids": "a"}', "list"),
        ('{"type": "subscribe", "campaign_ids": [1]}', "strings"),
        ('{"type": "subscribe", "campaign_ids": [""]}', "strings"),
        ('{"type": "subscribe", "campaign_ids": ["a", "b", "c"]}', "at most 2"),
        ('{"type": "subscribe", "campaign_ids": ["' + "x" * 300_000 + '"]}', "too large"),
    ],
)
def test_bad_messages_explain_themselves(text: str, needle: str) -> None:
    with pytest.raises(ClientMessageError, match=needle):
        parse_client_message(text, max_ids=2)
