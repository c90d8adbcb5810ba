"""HTTP to Beacon's services, with the mistakes people make turned into plain sentences.

A connection refused names the service and URL; a 401 says whether the token or key expired
or is not valid, and how to get another; 403 names the role needed.
"""

from __future__ import annotations

from typing import Any

import httpx

from beacon_cli.config import CliSettings
from beacon_cli.errors import CliError

SIGN_IN_HINT = (
    "set BEACON_API_KEY=bk_... (an API key from an admin) or BEACON_TOKEN "
    "(`make token EMAIL=you@example.com` prints one in development)"
)


def unreachable(service: str, url: str, error: Exception) -> CliError:
    return CliError(
        f"cannot reach the {service} service at {url} ({type(error).__name__}).",
        hint="is it running (`make up`), and is the URL right? "
        f"Set BEACON_{service.upper()}_URL, or BEACON_URL / --url for one origin "
        "such as http://127.0.0.1:8080.",
    )


def _error(response: httpx.Response) -> dict[str, Any]:
    """The services' one error body (``message``, ``detail``, ``code``, ``correlation_id``,
    ``errors``); a proxy's own error page becomes its text as the message."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body
    return {"message": response.text[:500], "code": None, "errors": []}


def _detail(response: httpx.Response) -> str:
    return str(_error(response)["message"])


def problems(response: httpx.Response) -> list[dict[str, Any]]:
    """Each problem of a 422, ``{"field": "body.items[3].email", "message": ...}``."""
    return [e for e in _error(response).get("errors") or [] if isinstance(e, dict)]


def raise_for_auth(response: httpx.Response) -> None:
    """Turn 401/403 into a CliError that says what to do."""
    if response.status_code == 401:
        error = _error(response)
        code = error.get("code")
        what = {
            "token_expired": "your token has expired",
            "token_invalid": "your token is not valid",
            "missing_token": "no token or key was sent",
            "key_invalid": "the API key is not valid (revoked or mistyped)",
            "bad_signature": "the token is not signed by this Beacon",
            "wrong_audience": "the token is not for this Beacon",
        }.get(str(code), "Beacon asks you to sign in")
        raise CliError(f"401: {what} ({error['message']}).", hint=SIGN_IN_HINT)
    if response.status_code == 403:
        raise CliError(
            f"403: your token or key lacks the role for {response.request.method} "
            f"{response.request.url.path} ({_detail(response)}).",
            hint="ask an admin for a key or account with that role.",
        )


def check(response: httpx.Response, what: str) -> Any:
    """The JSON of a 2xx answer, or a CliError describing the problem."""
    raise_for_auth(response)
    if response.status_code == 404:
        raise CliError(f"{what}: not found ({_detail(response)}).")
    if response.status_code >= 400:
        raise CliError(f"{what}: {response.status_code} {_detail(response)}")
    return response.json() if response.content else None


class Beacon:
    """Synchronous calls to the services' read and write routes."""

    def __init__(self, settings: CliSettings) -> None:
        self.settings = settings
        self.http = httpx.Client(headers=settings.auth_headers(), timeout=settings.timeout_s)

    def __enter__(self) -> Beacon:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def request(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.settings.base_url(service) + path
        try:
            return self.http.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise unreachable(service, self.settings.base_url(service), error) from None

    def get(self, service: str, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return check(self.request(service, "GET", path, params=clean), f"GET {path}")

    def post(self, service: str, path: str, body: Any) -> Any:
        return check(self.request(service, "POST", path, json=body), f"POST {path}")
