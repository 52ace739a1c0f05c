"""Read one audio file's tags with tinytag into a normalised Track; the only tinytag import."""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from tinytag import TinyTag, TinyTagException

# Audio only: tinytag also reads video containers (.m4v, .wmv, .ogv) and audiobooks we skip.
SUPPORTED_EXTENSIONS = frozenset(
    ("mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "wav", "aiff", "aif", "wma")
)

# Ampache's mime per format (Song::type_to_mime); fixed per extension so a file's mime never
# depends on which codec string a parser happened to report.
_MIME = {
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "aac": "audio/aac",
    "wav": "audio/wav",
    "aiff": "audio/x-aiff",
    "aif": "audio/x-aiff",
    "wma": "audio/x-ms-wma",
}

_YEAR = re.compile(r"\d{4}")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_TRUE = frozenset(("1", "true", "yes"))
_GENRE_SEPARATOR = re.compile(r"[;\x00]")


class TagError(Exception):
    """The file cannot be read as audio (corrupt, empty, unsupported or unreadable)."""


class Track(NamedTuple):
    """The normalised tags and stream properties of one file, as the scanner stores them.

    A NamedTuple rather than a frozen dataclass: a full scan builds one per file and ships it
    from the reader processes, and a tuple is several times cheaper to build and to pickle.
    """

    path: str
    size: int
    mtime_ns: int
    format: str
    mime: str
    title: str
    artists: tuple[str, ...] = ()
    album: str | None = None
    albumartist: str | None = None
    compilation: bool = False
    track: int = 0
    disc: int = 0
    disksubtitle: str | None = None
    year: int = 0
    genres: tuple[str, ...] = ()
    duration: int = 0
    bitrate: int = 0
    samplerate: int = 0
    channels: int | None = None
    mode: str | None = None
    comment: str | None = None
    composer: str | None = None
    publisher: str | None = None
    license: str | None = None  # the license tag (Vorbis LICENSE, ID3 WCOP): often a URL
    copyright: str | None = None  # the copyright tag (ID3 TCOP, MP4 cprt, Vorbis COPYRIGHT)
    lyrics: str | None = None
    language: str | None = None
    mbid: str | None = None
    album_mbid: str | None = None
    artist_mbid: str | None = None
    albumartist_mbid: str | None = None
    release_group_mbid: str | None = None
    release_type: str | None = None
    replaygain_track_gain: float | None = None
    replaygain_track_peak: float | None = None
    replaygain_album_gain: float | None = None
    replaygain_album_peak: float | None = None
    r128_track_gain: int | None = None
    r128_album_gain: int | None = None
    has_art: bool = False

    @property
    def artist(self) -> str | None:
        """The first credited artist (the song's main artist), if any."""
        return self.artists[0] if self.artists else None


def file_format(path: str) -> str | None:
    """The lower-case extension when it is a supported audio format, else None."""
    ext = path.rpartition(".")[2].lower()
    return ext if ext in SUPPORTED_EXTENSIONS and "." in path else None


def read_tags(path: str, stat: os.stat_result) -> Track:
    """Read path (whose stat the caller already has) into a Track; raise TagError if unusable."""
    fmt = file_format(path)
    if fmt is None:
        raise TagError("not a supported audio file")
    if stat.st_size == 0:
        raise TagError("empty file")
    try:
        # image=True is the only way tinytag reports embedded pictures; measured on the bench
        # library it costs little (pictures sit next to the tags we read anyway).
        tag = TinyTag.get(path, image=True)
    except (TinyTagException, OSError, ValueError) as exc:
        raise TagError(str(exc) or type(exc).__name__) from exc
    if not tag.duration and not tag.samplerate:
        # A parser that found no audio stream at all: garbage with an audio extension.
        raise TagError("no audio stream found")
    other = _other_fields(tag)
    first = _first_values(other)
    return Track(
        path=path,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        format=fmt,
        mime=_MIME[fmt],
        title=_text(tag.title) or _stem(path),
        artists=_unique(_values(tag.artist, other.get("artist"))),
        album=_text(tag.album),
        albumartist=_text(tag.albumartist),
        compilation=(
            first.get("compilation")
            or first.get("tcmp")
            or first.get("cpil")
            or first.get("itunescompilation")
            or ""
        ).lower()
        in _TRUE,
        track=_int(tag.track),
        disc=_int(tag.disc),
        disksubtitle=first.get("setsubtitle") or first.get("discsubtitle"),
        year=_year(tag.year, first),
        genres=_unique(_split_genres(_values(tag.genre, other.get("genre")))),
        duration=round(tag.duration or 0),
        bitrate=round((tag.bitrate or 0) * 1000),
        samplerate=tag.samplerate or 0,
        channels=tag.channels,
        mode=None,  # tinytag does not report VBR/CBR; Ampache sends null when unknown
        comment=_text(tag.comment),
        composer=_text(tag.composer),
        publisher=first.get("publisher") or first.get("label") or first.get("organization"),
        license=first.get("license"),
        copyright=first.get("copyright"),
        lyrics=first.get("lyrics"),
        language=first.get("language"),
        mbid=first.get("musicbrainztrackid") or _ufid(other) or None,
        album_mbid=first.get("musicbrainzalbumid"),
        artist_mbid=first.get("musicbrainzartistid"),
        albumartist_mbid=first.get("musicbrainzalbumartistid"),
        release_group_mbid=first.get("musicbrainzreleasegroupid"),
        release_type=first.get("releasetype") or first.get("musicbrainzalbumtype"),
        replaygain_track_gain=_float(first.get("replaygaintrackgain")),
        replaygain_track_peak=_float(first.get("replaygaintrackpeak")),
        replaygain_album_gain=_float(first.get("replaygainalbumgain")),
        replaygain_album_peak=_float(first.get("replaygainalbumpeak")),
        r128_track_gain=_r128(first.get("r128trackgain")),
        r128_album_gain=_r128(first.get("r128albumgain")),
        has_art=tag.images.any is not None,
    )


def _other_fields(tag: TinyTag) -> dict[str, list[str]]:
    """tinytag's `other` keyed without spaces/underscores: the same tag arrives as
    "musicbrainz album id" (ID3 TXXX, MP4) and "musicbrainz_albumid" (Vorbis)."""
    return {
        key.replace(" ", "").replace("_", "").lower(): values for key, values in tag.other.items()
    }


def _first_values(other: dict[str, list[str]]) -> dict[str, str]:
    """Each key's first non-blank value, cleaned: one pass over the (usually few) keys a file
    has, instead of probing some twenty names per file."""
    first = {}
    for key, values in other.items():
        for value in values:
            text = value.strip().strip("\x00").strip()
            if text:
                first[key] = text
                break
    return first


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip().strip("\x00").strip()
    return text or None


def _values(main: object, extra: list[str] | None) -> list[str]:
    """The main value plus tinytag's further values of a multi-value tag (in `other`)."""
    first = _text(main)
    if not extra:  # the common case, taken once or twice per file of a full scan
        return [first] if first else []
    values = [first] if first else []
    values.extend(v for v in (_text(v) for v in extra) if v)
    return values


def _split_genres(values: list[str]) -> list[str]:
    # Only ';' and NUL are genre separators: '/' and '&' occur in real genre names
    # ("Drum & Bass", "Pop/Funk").
    out = []
    for value in values:
        if ";" in value or "\x00" in value:
            out.extend(g for g in (part.strip() for part in _GENRE_SEPARATOR.split(value)) if g)
        else:
            out.append(value)  # already stripped by _values
    return out


def _unique(values: list[str]) -> tuple[str, ...]:
    if len(values) < 2:
        return tuple(values)
    seen: set[str] = set()
    out = []
    for value in values:
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return tuple(out)


def _ufid(other: dict[str, list[str]]) -> str:
    # ID3 stores the recording id in UFID "http://musicbrainz.org\0<id>".
    for value in other.get("ufid", ()):
        owner, _, ident = value.partition("\x00")
        if "musicbrainz" in owner and ident.strip():
            return ident.strip()
    return ""


def _int(value: object) -> int:
    if not value:
        return 0
    if isinstance(value, int):
        return max(value, 0)
    match = _NUMBER.match(str(value or "").strip())
    return max(int(float(match.group())), 0) if match else 0


def _year(value: object, first: dict[str, str]) -> int:
    original = first.get("originaldate") or first.get("originalyear") or first.get("tory") or ""
    for text in (str(value or ""), original):
        match = _YEAR.search(text)
        if match:
            return int(match.group())
    return 0


def _float(text: str | None) -> float | None:
    match = _NUMBER.search(text) if text else None
    return float(match.group()) if match else None


def _r128(text: str | None) -> int | None:
    match = _NUMBER.match(text) if text else None
    return int(float(match.group())) if match else None


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]
