"""An email campaign's message as it goes over SMTP: headers, plain text and HTML, footer.

Pure (the standard library's ``email`` package builds it; nothing is sent here). The
rendered subject and text come from the log row (``shared.template`` rendered them for the
recipient); the HTML part is that text HTML-escaped, so a recipient's value can never
become markup. Every message carries the CAN-SPAM footer (the sender's postal address and
an unsubscribe link) and RFC 8058's one-click headers, and a ``Message-ID`` derived from
Beacon's message id, so a retried send is the same message to the receiving side.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

ONE_CLICK = "List-Unsubscribe=One-Click"
UNSUBSCRIBE_TEXT = "Unsubscribe"


@dataclass(frozen=True)
class Sender:
    """Who the campaign's email comes from, and what every footer says."""

    from_address: str  # "Shop <news@shop.example>" or "news@shop.example"
    postal_address: str  # the sender's physical postal address (CAN-SPAM)

    @property
    def domain(self) -> str:
        _, address = parseaddr(self.from_address)
        _, at, domain = address.rpartition("@")
        return domain if at and domain else "beacon.invalid"


def one_line(text: str) -> str:
    """A header value from rendered text: line breaks (a name with a newline) become
    spaces, so no recipient value can add a header."""
    return " ".join(text.splitlines()).strip()


def message_id_header(message_id: str, sender: Sender) -> str:
    return f"<{message_id}@{sender.domain}>"


def build_email(
    *,
    message_id: str,
    to: str,
    subject: str,
    body: str,
    unsubscribe_url: str,
    sender: Sender,
) -> EmailMessage:
    """The multipart/alternative message (plain text, then HTML) for one recipient."""
    msg = EmailMessage()
    msg["Message-ID"] = message_id_header(message_id, sender)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["From"] = sender.from_address
    msg["To"] = to
    msg["Subject"] = one_line(subject)
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = ONE_CLICK
    msg.set_content(plain_body(body, unsubscribe_url, sender))
    msg.add_alternative(html_body(body, unsubscribe_url, sender), subtype="html")
    return msg


def plain_body(body: str, unsubscribe_url: str, sender: Sender) -> str:
    footer = [f"{UNSUBSCRIBE_TEXT}: {unsubscribe_url}"]
    if sender.postal_address:
        footer.append(sender.postal_address)
    return f"{body}\n\n-- \n" + "\n".join(footer) + "\n"


def html_body(body: str, unsubscribe_url: str, sender: Sender) -> str:
    text = "<br>\n".join(html.escape(line) for line in body.splitlines())
    address = html.escape(sender.postal_address)
    link = f'<a href="{html.escape(unsubscribe_url, quote=True)}">{UNSUBSCRIBE_TEXT}</a>'
    return (
        '<!doctype html>\n<html><body>\n<div class="message">'
        f"{text}</div>\n"
        '<hr>\n<p class="footer" style="font-size:12px;color:#666">'
        f"{link}<br>\n{address}</p>\n</body></html>\n"
    )
