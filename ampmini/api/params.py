"""Request parameters: typed reads that raise the right Ampache error themselves."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import BadRequest, MissingParameter, NotFound

DEFAULT_LIMIT = 5000  # spec §3.5: limit absent or 0 means this page size

_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


def php_int(text: str | None, default: int = 0) -> int:
    """Cast like PHP's (int): leading digits count, anything else is 0 (spec §3.5)."""
    if text is None:
        return default
    match = _LEADING_INT.match(text)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True, slots=True)
class Paging:
    offset: int
    limit: int | None  # None = no limit

    def slice(self, total: int) -> tuple[int, int]:
        end = total if self.limit is None else min(total, self.offset + self.limit)
        return min(self.offset, total), end


class Params:
    """The decoded query/form parameters of one request (first value of each name)."""

    def __init__(self, values: Mapping[str, str], multi: Mapping[str, list[str]] | None = None):
        self._values = dict(values)
        self._multi = dict(multi or {})

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def without(self, *names: str) -> Params:
        """A copy lacking `names` (e.g. `filter` when it names a parent object)."""
        kept = {k: v for k, v in self._values.items() if k not in names}
        return Params(kept, self._multi)

    def with_default(self, name: str, value: str) -> Params:
        """A copy where `name` is `value` unless the client sent it."""
        if self._values.get(name):
            return self
        return Params({**self._values, name: value}, self._multi)

    def names(self) -> list[str]:
        return list(self._values)

    def raw(self, name: str) -> str | None:
        return self._values.get(name)

    def get(self, *names: str) -> str | None:
        """The first of `names` present (aliases such as `filter`|`id`), or None."""
        for name in names:
            value = self._values.get(name)
            if value is not None:
                return value
        return None

    def text(self, *names: str, default: str = "") -> str:
        value = self.get(*names)
        return default if value is None else value

    def required(self, *names: str) -> str:
        """A parameter that must be present and non-empty (4710 `Bad Request: <name>`)."""
        value = self.get(*names)
        if value is None or value == "":
            raise MissingParameter(names[0])
        return value

    def int(self, *names: str, default: int = 0) -> int:
        value = self.get(*names)
        if value is None or value == "":
            return default
        return php_int(value, default)

    def flag(self, *names: str) -> bool:
        """`1`/`true` → True; absent, `0`, `false`, empty → False."""
        value = self.get(*names)
        return value is not None and value.strip().lower() in {"1", "true", "yes", "on"}

    def object_id(self, *names: str) -> int:
        """A required numeric object id; a non-numeric value is simply not found (4704)."""
        value = self.required(*names)
        text = value.strip()
        if not text.isdigit():
            raise NotFound(value, names[0])
        return int(text)

    def choice(self, name: str, allowed: Mapping[str, str] | set[str], default: str) -> str:
        """A value from a whitelist, else 4710 with errorType = the parameter."""
        value = self.get(name)
        if value is None or value == "":
            return default
        key = value.strip().lower()
        if key not in allowed:
            raise BadRequest(value, name)
        return allowed[key] if isinstance(allowed, Mapping) else key

    def include(self) -> set[str]:
        """`include=albums,songs`, `include=1`, or the array form `include[]=songs`."""
        parts: list[str] = []
        for value in (self._values.get("include"), *self._multi.get("include[]", [])):
            if value:
                parts.extend(p.strip().lower() for p in value.split(","))
        return {p for p in parts if p and p != "0"}

    def paging(self, default_limit: int = DEFAULT_LIMIT) -> Paging:
        offset = max(0, self.int("offset"))
        raw = (self.get("limit") or "").strip()
        if raw.lower() == "none":
            return Paging(offset, None)
        limit = php_int(raw) if raw else 0
        if limit < 0:
            return Paging(offset, None)  # docs: -1 = all
        return Paging(offset, limit or default_limit)
