"""``schema_url``: a schema goes into the URL's path, never after its query (where TLS is
configured), and the query survives unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from shared.settings import schema_url

TLS = "?ssl_ca=/etc/beacon/ca.pem&ssl_check_hostname=true"


@pytest.mark.parametrize(
    "server",
    [
        "mysql+asyncmy://root@127.0.0.1:3306",
        "mysql+asyncmy://root@127.0.0.1:3306/",
        "mysql+asyncmy://beacon:p%40ss%2Fword@db.internal:3306/" + TLS,
        "mysql+asyncmy://beacon:secret@db.internal:3306/other" + TLS,
    ],
)
def test_the_schema_is_the_database_and_the_query_is_kept(server: str) -> None:
    url = make_url(schema_url(server, "beacon_ingest"))
    given = make_url(server)
    assert url.database == "beacon_ingest"
    assert dict(url.query) == dict(given.query)
    assert (url.username, url.password, url.host, url.port) == (
        given.username,
        given.password,
        given.host,
        given.port,
    )
    assert make_url(schema_url(server, "")).database is None  # the server itself


def test_tls_options_reach_the_driver_as_its_ssl_settings() -> None:
    """SQLAlchemy turns ``ssl_*`` into the driver's ``ssl`` dict (asyncmy then verifies the
    server against ``ca``): the path an operator follows in docs/operations.md."""
    url = make_url(schema_url("mysql+asyncmy://beacon:s@db:3306" + TLS, "beacon_stats"))
    _, kwargs = url.get_dialect()().create_connect_args(url)
    assert kwargs["ssl"] == {"ca": "/etc/beacon/ca.pem", "check_hostname": True}
    assert kwargs["db"] == "beacon_stats"
