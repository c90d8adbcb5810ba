"""Issue 25: neither nginx (deploy/docker) nor the preview server (`make up`'s dashboard)
sent CSP, frame-ancestors, nosniff, Referrer-Policy or HSTS, and nginx logged the stats
WebSocket's query string (which may carry a token). These read the two configurations."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = (ROOT / "deploy" / "docker" / "nginx" / "default.conf.template").read_text()
VITE = (ROOT / "frontend" / "vite.config.ts").read_text()
NEEDED = {
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
}


def nginx_headers() -> dict[str, str]:
    found = re.findall(r"^\s*add_header\s+(\S+)\s+(\"[^\"]*\"|\S+)\s*(always)?;", NGINX, re.M)
    return {name: value.strip('"') + (" always" if always else "") for name, value, always in found}


def directives(csp: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in csp.split(";") if part.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def test_nginx_sends_the_security_headers_on_every_answer() -> None:
    headers = nginx_headers()
    for name in NEEDED | {"Strict-Transport-Security"}:
        assert headers.get(name, "").endswith(" always"), f"{name} missing or not `always`"
    csp = directives(headers["Content-Security-Policy"].removesuffix(" always"))
    assert csp["frame-ancestors"] == "'none'" and csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'" and "unsafe-inline" not in csp["script-src"]
    assert headers["X-Content-Type-Options"].startswith("nosniff")
    # nginx drops every inherited add_header in a block that has one of its own: none may.
    first_location = re.search(r"^\s*location\s", NGINX, re.M)
    assert first_location is not None
    directive = re.compile(r"^\s*add_header\s", re.M)
    assert directive.findall(NGINX[first_location.start() :]) == []


def test_nginx_sends_hsts_only_over_tls() -> None:
    assert nginx_headers()["Strict-Transport-Security"] == "$beacon_hsts always"
    block = NGINX[NGINX.index("$beacon_hsts {") : NGINX.index("}", NGINX.index("$beacon_hsts {"))]
    assert re.search(r'~\^https:\s+"max-age=\d{8,}', block)
    assert re.search(r'default\s+""', block)


def test_nginx_logs_no_query_string() -> None:
    (fmt,) = re.findall(r"log_format\s+(\S+)\s+((?:'[^']*'\s*)+);", NGINX)
    assert "$request " not in fmt[1] and "$args" not in fmt[1] and "$request_uri" not in fmt[1]
    assert re.search(rf"^\s*access_log\s+\S+\s+{fmt[0]};", NGINX, re.M)


def test_the_preview_server_sends_the_same_policy() -> None:
    block = VITE[VITE.index("const CSP = [") : VITE.index("].join('; ')")]
    vite_csp = ";".join(re.findall(r"[\"']([a-z-]+ [^\"]*?)[\"'],", block))
    nginx_csp = nginx_headers()["Content-Security-Policy"].removesuffix(" always")
    assert directives(vite_csp) == directives(nginx_csp)
    preview = VITE[VITE.index("preview: {") :]
    assert "'Content-Security-Policy': CSP" in preview and "...SECURITY_HEADERS" in preview
    for name in NEEDED - {"Content-Security-Policy"}:
        assert f"'{name}'" in VITE
