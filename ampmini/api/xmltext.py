"""XML text escaping shared by the Python renderer (render.py) and SQLite's (sqlrender.py)."""

from __future__ import annotations

import re
from typing import Any

# Characters XML 1.0 forbids; tags read from files occasionally contain them.
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return INVALID_XML.sub("", text) if INVALID_XML.search(text) else text


def scalar_text(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cdata_text(value: Any) -> str:
    """What goes between `<![CDATA[` and `]]>`: `]]>` inside is split so the document stays
    well-formed."""
    if value is None or value == "":
        return ""
    text = clean(value if isinstance(value, str) else scalar_text(value))
    if "]]>" in text:
        text = text.replace("]]>", "]]]]><![CDATA[>")
    return text


def cdata(value: Any) -> str:
    return f"<![CDATA[{cdata_text(value)}]]>"


def escape(text: str) -> str:
    text = clean(text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def attr(text: Any) -> str:
    return escape(str(text)).replace('"', "&quot;")
