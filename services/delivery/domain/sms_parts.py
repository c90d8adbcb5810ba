"""How many parts an SMS is billed as: GSM-7 when every character is in the GSM 03.38
alphabet (160 septets in one message, 153 a part once split; ``^ { } \\ [ ] ~ | €`` take two
septets), otherwise UCS-2 (70 UTF-16 code units, 67 a part; a character outside the Basic
Multilingual Plane, such as most emoji, takes two). The dashboard counts the same way
(frontend/src/lib/sms.ts); providers bill per part, and a DLT provider needs the encoding
named (``Unicode_text`` for UCS-2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsParts:
    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int


def sms_parts(text: str) -> SmsParts:
    septets = 0
    for ch in text:
        if ch in GSM_BASIC:
            septets += 1
        elif ch in GSM_EXTENDED:
            septets += 2
        else:
            units = len(text.encode("utf-16-le")) // 2
            return SmsParts("UCS-2", units, _parts(units, 70, 67))
    return SmsParts("GSM-7", septets, _parts(septets, 160, 153))


def _parts(units: int, single: int, multi: int) -> int:
    if units == 0:
        return 0
    return 1 if units <= single else -(-units // multi)
