"""Field tables of the user-side objects: preference, shout, activity (spec §8.16, §8.19).

The `user` shapes themselves stay in `library.py` (re-exported here) so older imports work.
"""

from __future__ import annotations

from typing import Any

from ..shapes import API6, Field, Kind, Shape
from .library import USER_BRIEF, USER_FULL, USER_PUBLIC

__all__ = ["ACTIVITY", "PREFERENCE", "SHOUT", "USER_BRIEF", "USER_FULL", "USER_PUBLIC"]


def _values_json(value: Any, api: int) -> Any:
    return dict(value)


# `id` is an int in JSON (§12 Copy 7), so it is an INT field kept out of XML, where every
# object's id is the element's attribute anyway.
PREFERENCE = Shape(
    "preference",
    (
        Field("id", Kind.INT, xml=None),
        Field("name", Kind.TEXT),
        Field("level", Kind.INT),
        Field("description", Kind.TEXT),
        Field("value", Kind.VALUE),
        Field("type", Kind.TEXT),
        Field("category", Kind.TEXT),
        Field("subcategory", Kind.TEXT),
        Field("has_access", Kind.BOOL_TEXT, apis=API6, omit_none=True),
        # allowed values of a `special` preference, single-preference actions only
        Field("values", Kind.CUSTOM, xml=None, omit_none=True, render_json=_values_json),
    ),
)

SHOUT = Shape(
    "shout",
    (
        Field("id", Kind.ID),
        Field("date", Kind.INT),
        Field("text", Kind.TEXT),
        Field("object_type", Kind.TEXT, apis=API6),
        Field("object_id", Kind.INT_TEXT, apis=API6),  # JSON int, XML CDATA (as Ampache)
        Field("user", Kind.USER_REF),
    ),
)

ACTIVITY = Shape(
    "activity",
    (
        Field("id", Kind.ID),
        Field("date", Kind.INT),
        Field("object_type", Kind.TEXT),
        Field("object_id", Kind.STR_ID),
        Field("action", Kind.TEXT),
        Field("user", Kind.USER_REF),
    ),
)
