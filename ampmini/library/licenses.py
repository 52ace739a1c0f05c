"""Match a license/copyright tag against the common Creative Commons and public-domain licences.

A tag may hold a URL ("http://creativecommons.org/licenses/by-sa/3.0/", often inside a longer
"Licensed to the public under … verify at …" text as Jamendo and archive.org write it), a short
name ("CC BY-NC-SA 4.0", "CC-BY 3.0", "CC0") or a long one ("Creative Commons
Attribution-ShareAlike 4.0 International"). The answer is the licence's name as the `license`
table spells it (schema 0009_licenses.sql) and its canonical URL; a tag naming no known licence
(a plain "℗ 2010 Some Records") matches nothing.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Licence(NamedTuple):
    name: str
    link: str


_CC_BASE = "https://creativecommons.org/licenses"
_LATEST = "4.0"  # a versionless "CC BY-SA" is taken as the current version
_ELEMENTS = ("nc", "nd", "sa")  # after "by", in Creative Commons' own order
_LONG = {"attribution": "by", "noncommercial": "nc", "noderivs": "nd", "noderivatives": "nd",
         "sharealike": "sa"}  # fmt: skip

_CC_URL = re.compile(r"creativecommons\.org/licenses/([a-z-]+)(?:/(\d(?:\.\d)?))?")
_CC0 = re.compile(r"creativecommons\.org/publicdomain/zero|\bcc[\s-]?0\b|\bcc[\s-]?zero\b"
                  r"|creative\s+commons\s+zero")  # fmt: skip
_PD_MARK = re.compile(r"creativecommons\.org/publicdomain/mark|\bpublic[\s-]+domain\b")
_CC_SHORT = re.compile(r"\bcc[\s-]+(by(?:[\s-]+(?:nc|nd|sa))*)\b(?:[\s-]*(\d\.\d))?")
_CC_LONG = re.compile(
    r"creative\s+commons\s+(attribution(?:[\s-]+(?:noncommercial|non-commercial|noderivs"
    r"|noderivatives|no\s+derivatives|sharealike|share\s+alike))*)(?:[\s-]*(\d\.\d))?"
)
_OTHERS = (
    (re.compile(r"artlibre\.org|\bart\s+libre\b|\bfree\s+art\s+licen[cs]e\b"),
     Licence("Licence Art Libre", "http://artlibre.org/licence/lal/")),
    (re.compile(r"\bwtfpl\b"), Licence("WTFPL", "https://en.wikipedia.org/wiki/WTFPL")),
)  # fmt: skip


def match(*texts: str | None) -> Licence | None:
    """The licence the first matching text names (license tag first, then copyright)."""
    for text in texts:
        if text:
            found = _match_one(text.casefold())
            if found is not None:
                return found
    return None


def _match_one(text: str) -> Licence | None:
    url = _CC_URL.search(text)
    if url:
        found = _cc(url.group(1).split("-"), url.group(2))
        if found:
            return found
    if _CC0.search(text):
        return Licence("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/")
    for pattern in (_CC_SHORT, _CC_LONG):
        named = pattern.search(text)
        if named:
            words = re.split(r"[\s-]+", named.group(1).replace("non-commercial", "noncommercial")
                             .replace("no derivatives", "noderivatives")
                             .replace("share alike", "sharealike"))  # fmt: skip
            found = _cc([_LONG.get(w, w) for w in words], named.group(2))
            if found:
                return found
    if _PD_MARK.search(text):
        return Licence("Public Domain Mark 1.0", "https://creativecommons.org/publicdomain/mark/1.0/")
    for pattern, licence in _OTHERS:
        if pattern.search(text):
            return licence
    return None


def _cc(parts: list[str], version: str | None) -> Licence | None:
    """"CC BY NC SA 4.0" from ["by", "nc", "sa"], "4.0"; None for an impossible combination."""
    if not parts or parts[0] != "by":
        return None
    rest = sorted(set(parts[1:]), key=lambda p: _ELEMENTS.index(p) if p in _ELEMENTS else 9)
    if any(p not in _ELEMENTS for p in rest) or {"nd", "sa"} <= set(rest):
        return None  # NoDerivatives and ShareAlike exclude each other
    version = version if version and "." in version else _LATEST
    kind = "-".join(["by", *rest])
    name = f"CC {kind.upper().replace('-', ' ')} {version}"
    return Licence(name, f"{_CC_BASE}/{kind}/{version}/")
