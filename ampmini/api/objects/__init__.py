"""Field tables of every API object, one module per object family (spec §8).

`library` holds songs, albums, artists, genres, catalogs and users; feature modules add
their own families beside it. Import shapes from here.
"""

from .library import (  # noqa: F401
    ALBUM,
    ALBUM_INDEX_XML,
    ARTIST,
    ARTIST_INDEX_XML,
    BROWSE_ITEM,
    CATALOG,
    GENRE,
    LIST_ITEM,
    SONG,
    SONG_INDEX_XML,
    USER_BRIEF,
    USER_FULL,
    USER_PUBLIC,
)
