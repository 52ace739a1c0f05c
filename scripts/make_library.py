"""Generate a real, tagged music library (tiny valid audio files) for tests and benchmarks.

One silent-ish 1 s template per format is encoded once with ffmpeg and cached (default
``DEST/.templates``); every track is the template's bytes plus tags written with mutagen, so a
30,000-track library takes seconds, not hours. ``manifest.json`` in DEST lists what was written;
a stamp file (``.make_library.json``) makes a re-run with the same parameters a no-op.

Edge cases in ``profile="test"`` (deterministic; ~40 valid files):
  * every format: mp3 (ID3v2.4), flac (Vorbis comments + PICTURE), ogg vorbis, opus,
    m4a (AAC, iTunes atoms), wav (RIFF with an ``id3 `` chunk, which tinytag reads);
  * artists with two albums (Motörhead, Björk, The Beatles); track "n/total", disc, year;
    a full date ("1997-09-22") where only the year is expected;
  * multi-disc album in ``CD1/`` and ``CD2/`` (Pink Floyd "The Wall": same album + album artist);
  * compilation with albumartist "Various Artists" + TCMP (mp3), another with cpil (m4a), and
    one with COMPILATION=1 (ogg) and NO albumartist; their track artists differ and some also
    have albums of their own (Björk, Motörhead, 坂本龍一);
  * non-ASCII (Motörhead, Björk, 坂本龍一, Röyksopp); ``&`` ``'`` ``"`` ``<`` ``>`` ``]]>`` in
    artist/album/title (also in file names); an artist name with a slash ("AC/DC", folder AC-DC);
  * article prefixes ("The Beatles", album "The Wall"); the same album name by two artists
    ("Greatest Hits": Queen and ABBA);
  * genres: multi-valued (two TCON / GENRE / ©gen values), joined in one value ("Rock; Pop"),
    and the same genre in different case ("Electronic"/"electronic", "Rock"/"rock");
  * embedded front covers (JPEG in mp3/m4a, PNG in flac); ``cover.jpg`` in Björk/Post; albums
    with no art at all (坂本龍一, Pink Floyd);
  * MusicBrainz track/album/artist/albumartist ids, composer, comment; replaygain on one track;
  * a track with artist + title but no album; a file with no tags at all (title = file stem);
  * broken: random bytes named ``.mp3`` and ``.flac``, a zero-byte ``.ogg``, ``notes.txt``;
    hidden: ``.hidden/`` with a valid mp3 inside, and an AppleDouble ``._01 - ….mp3`` file.

Manifest (``make_library`` return value and ``DEST/manifest.json``): ``songs`` = one dict per
valid, visible audio file (keys: see ``_song_entry``); ``corrupt``, ``empty``, ``non_audio``,
``hidden`` = relative paths of files a scanner must skip; ``folder_art`` = cover files.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields, replace
from io import BytesIO
from pathlib import Path
from typing import Any

from mutagen.flac import FLAC, Picture
from mutagen.id3 import (
    APIC,
    COMM,
    ID3,
    TALB,
    TCMP,
    TCOM,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    TXXX,
    UFID,
)
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

GENERATOR_VERSION = 1
FORMATS = ("mp3", "flac", "ogg", "opus", "m4a", "wav")
STAMP = ".make_library.json"
MANIFEST = "manifest.json"
TEMPLATES = ".templates"
COVER = "cover.jpg"
BENCH_DEFAULT_TRACKS = 30_000
# Below this many files the process pool costs more than it saves.
PARALLEL_THRESHOLD = 2_000

# A short beep then silence: lossy and FLAC encoders squeeze silence to almost nothing.
_TONE = "aevalsrc=0.1*sin(2*PI*440*t)*lt(t\\,0.1):s={rate}:d=1"
_BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags", "+bitexact"]
_ENCODE: dict[str, tuple[int, list[str]]] = {
    "mp3": (44100, ["-c:a", "libmp3lame", "-b:a", "32k", "-id3v2_version", "0"]),
    "flac": (44100, ["-sample_fmt", "s16", "-c:a", "flac", "-compression_level", "8"]),
    "ogg": (44100, ["-c:a", "libvorbis", "-q:a", "0"]),
    "opus": (48000, ["-c:a", "libopus", "-b:a", "16k"]),
    "m4a": (44100, ["-c:a", "aac", "-b:a", "32k"]),
    "wav": (8000, ["-c:a", "pcm_s16le"]),
}


class FfmpegMissingError(RuntimeError):
    """ffmpeg is needed to create the audio templates and is not on PATH."""


@dataclass(frozen=True)
class Song:
    """One audio file to write: where, which format, and which tags (None = tag absent)."""

    path: str
    format: str
    title: str | None
    artist: str | None = None
    album: str | None = None
    albumartist: str | None = None
    track: int | None = None
    track_total: int | None = None
    disc: int | None = None
    disc_total: int | None = None
    year: int | None = None
    date: str | None = None  # written instead of the bare year when set
    genre_tags: tuple[str, ...] = ()  # raw values written; several = multi-valued tag
    compilation: bool = False
    art: str | None = None  # "jpeg" | "png" embedded front cover
    composer: str | None = None
    comment: str | None = None
    mbid_track: str | None = None
    mbid_album: str | None = None
    mbid_artist: str | None = None
    mbid_albumartist: str | None = None
    replaygain: dict[str, str] | None = field(default=None, hash=False)
    tagged: bool = True


# ---------------------------------------------------------------------------- public API


def ffmpeg_available() -> bool:
    """True when an ffmpeg executable is on PATH."""
    return shutil.which("ffmpeg") is not None


def make_library(
    dest: Path,
    *,
    profile: str = "test",
    tracks: int | None = None,
    seed: int = 0,
    template_dir: Path | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Fill DEST with a generated library (no-op if already complete); return the manifest."""
    if profile not in ("test", "bench"):
        raise ValueError(f"unknown profile {profile!r} (expected 'test' or 'bench')")
    if profile == "test" and tracks is not None:
        raise ValueError("tracks applies to the bench profile only; the test profile is fixed")
    if profile == "bench" and tracks is None:
        tracks = BENCH_DEFAULT_TRACKS
    dest = Path(dest)
    params = {"generator": GENERATOR_VERSION, "profile": profile, "tracks": tracks, "seed": seed}
    if _is_complete(dest, params):
        return json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    _prepare_dest(dest)
    tdir = Path(template_dir) if template_dir else dest / TEMPLATES
    ensure_templates(tdir)
    _write_stamp(dest, params, complete=False)
    if profile == "test":
        songs, extras = _test_songs(), _test_extras()
    else:
        assert tracks is not None
        songs, extras = _bench_songs(tracks, seed), {}
    entries = _write_songs(dest, tdir, songs, workers)
    manifest = _build_manifest(params, entries, extras)
    _write_extras(dest, tdir, extras)
    manifest["hidden"] += _own_hidden(dest, tdir)
    indent = 1 if profile == "test" else None  # readable when small, compact when huge
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=indent),
                                 "utf-8")
    _write_stamp(dest, params, complete=True)
    return manifest


def ensure_templates(tdir: Path) -> Path:
    """Create the per-format template files and cover images in TDIR unless already there."""
    wanted = [tdir / f"template.{fmt}" for fmt in FORMATS] + [tdir / COVER]
    if all(p.is_file() and p.stat().st_size > 0 for p in wanted):
        return tdir
    if not ffmpeg_available():
        raise FfmpegMissingError(
            "ffmpeg not found on PATH: it is needed once to create the audio templates "
            "(install it, e.g. `apt-get install ffmpeg`)"
        )
    tdir.mkdir(parents=True, exist_ok=True)
    # Build in a private folder and rename into place: an interrupted or concurrent run
    # never leaves a truncated template behind.
    work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=tdir))
    try:
        procs = [_start_ffmpeg(work, fmt) for fmt in FORMATS]
        procs.append(_run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x3366cc:s=16x16",
                                  "-frames:v", "1", *_BITEXACT, str(work / COVER)]))
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"ffmpeg failed: {err.decode(errors='replace')[-500:]}")
        for fmt in FORMATS:
            _strip_tags(work / f"template.{fmt}", fmt)
        for path in wanted:
            os.replace(work / path.name, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tdir


# ---------------------------------------------------------------------------- templates


def _run_ffmpeg(args: list[str]) -> subprocess.Popen[bytes]:
    cmd = ["ffmpeg", "-v", "error", "-y", "-nostdin", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _start_ffmpeg(tdir: Path, fmt: str) -> subprocess.Popen[bytes]:
    rate, codec = _ENCODE[fmt]
    src = _TONE.format(rate=rate)
    out = tdir / f"template.{fmt}"
    return _run_ffmpeg(["-f", "lavfi", "-i", src, "-ac", "1", *_BITEXACT, *codec, str(out)])


def _strip_tags(path: Path, fmt: str) -> None:
    """Drop encoder comments and FLAC padding so an untagged copy really has no tags."""
    if fmt == "flac":
        audio = FLAC(path)
        audio.delete()
        audio.save(padding=lambda _info: 0)
    elif fmt in ("ogg", "opus"):
        (OggVorbis if fmt == "ogg" else OggOpus)(path).delete()


def _png(rgb: tuple[int, int, int], size: int = 8) -> bytes:
    """A tiny valid solid-colour PNG, built by hand so it needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    row = b"\x00" + bytes(rgb) * size
    ihdr = size.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------- tag writers


def _id3_frames(song: Song, art: bytes | None) -> ID3:
    tags = ID3()
    text = {TIT2: song.title, TPE1: song.artist, TALB: song.album, TPE2: song.albumartist,
            TCOM: song.composer, TDRC: song.date or _opt(song.year)}
    for frame, value in text.items():
        if value is not None:
            tags.add(frame(encoding=3, text=value))
    if song.track is not None:
        tags.add(TRCK(encoding=3, text=_nums(song.track, song.track_total)))
    if song.disc is not None:
        tags.add(TPOS(encoding=3, text=_nums(song.disc, song.disc_total)))
    if song.genre_tags:
        tags.add(TCON(encoding=3, text=list(song.genre_tags)))
    if song.compilation:
        tags.add(TCMP(encoding=3, text="1"))
    if song.comment:
        tags.add(COMM(encoding=3, lang="eng", desc="", text=song.comment))
    # Picard's layout: recording id in UFID, the others in TXXX.
    if song.mbid_track:
        tags.add(UFID(owner="http://musicbrainz.org", data=song.mbid_track.encode()))
    for desc, value in _mb_custom(song, "MusicBrainz {} Id").items():
        tags.add(TXXX(encoding=3, desc=desc, text=value))
    for key, value in (song.replaygain or {}).items():
        tags.add(TXXX(encoding=3, desc=key, text=value))
    if art:
        tags.add(APIC(encoding=3, mime=_mime(art), type=3, desc="Cover", data=art))
    return tags


def _vorbis_fields(song: Song) -> dict[str, list[str]]:
    fields = {"TITLE": song.title, "ARTIST": song.artist, "ALBUM": song.album,
              "ALBUMARTIST": song.albumartist, "TRACKNUMBER": _opt(song.track),
              "TRACKTOTAL": _opt(song.track_total), "DISCNUMBER": _opt(song.disc),
              "DISCTOTAL": _opt(song.disc_total), "DATE": song.date or _opt(song.year),
              "COMPOSER": song.composer, "COMMENT": song.comment,
              "COMPILATION": "1" if song.compilation else None,
              "MUSICBRAINZ_TRACKID": song.mbid_track, "MUSICBRAINZ_ALBUMID": song.mbid_album,
              "MUSICBRAINZ_ARTISTID": song.mbid_artist,
              "MUSICBRAINZ_ALBUMARTISTID": song.mbid_albumartist,
              **{k.upper(): v for k, v in (song.replaygain or {}).items()}}
    out = {k: [v] for k, v in fields.items() if v is not None}
    if song.genre_tags:
        out["GENRE"] = list(song.genre_tags)
    return out


def _picture(art: bytes) -> Picture:
    pic = Picture()
    pic.type, pic.mime, pic.desc, pic.data = 3, _mime(art), "Cover", art
    pic.width = pic.height = 8 if art.startswith(b"\x89PNG") else 16
    pic.depth = 24
    return pic


def _write_mp3(data: BytesIO, song: Song, art: bytes | None) -> None:
    _id3_frames(song, art).save(data, v2_version=4)


def _write_wav(data: BytesIO, song: Song, art: bytes | None) -> None:
    wav = WAVE(data)
    wav.add_tags()
    for frame in _id3_frames(song, art).values():
        wav.tags.add(frame)
    data.seek(0)
    wav.save(data, v2_version=4)


def _write_flac(data: BytesIO, song: Song, art: bytes | None) -> None:
    flac = FLAC(data)
    if flac.tags is None:
        flac.add_tags()
    for key, values in _vorbis_fields(song).items():
        flac.tags[key] = values
    if art:
        flac.add_picture(_picture(art))
    data.seek(0)  # loading left the buffer at its end
    flac.save(data, padding=lambda _info: 0)


def _write_ogg(data: BytesIO, song: Song, art: bytes | None) -> None:
    audio = (OggVorbis if song.format == "ogg" else OggOpus)(data)
    for key, values in _vorbis_fields(song).items():
        audio.tags[key] = values
    if art:
        block = base64.b64encode(_picture(art).write()).decode("ascii")
        audio.tags["METADATA_BLOCK_PICTURE"] = [block]
    data.seek(0)
    audio.save(data)


def _write_m4a(data: BytesIO, song: Song, art: bytes | None) -> None:
    mp4 = MP4(data)
    if mp4.tags is None:
        mp4.add_tags()
    text = {"\xa9nam": song.title, "\xa9ART": song.artist, "\xa9alb": song.album,
            "aART": song.albumartist, "\xa9wrt": song.composer, "\xa9cmt": song.comment,
            "\xa9day": song.date or _opt(song.year)}
    for key, value in text.items():
        if value is not None:
            mp4.tags[key] = [value]
    if song.track is not None:
        mp4.tags["trkn"] = [(song.track, song.track_total or 0)]
    if song.disc is not None:
        mp4.tags["disk"] = [(song.disc, song.disc_total or 0)]
    if song.genre_tags:
        mp4.tags["\xa9gen"] = list(song.genre_tags)
    if song.compilation:
        mp4.tags["cpil"] = True
    custom = {**_mb_custom(song, "MusicBrainz {} Id"), **(song.replaygain or {})}
    if song.mbid_track:
        custom["MusicBrainz Track Id"] = song.mbid_track
    for desc, value in custom.items():
        mp4.tags[f"----:com.apple.iTunes:{desc}"] = [MP4FreeForm(value.encode())]
    if art:
        kind = MP4Cover.FORMAT_PNG if art.startswith(b"\x89PNG") else MP4Cover.FORMAT_JPEG
        mp4.tags["covr"] = [MP4Cover(art, imageformat=kind)]
    data.seek(0)
    mp4.save(data)


_WRITERS = {"mp3": _write_mp3, "wav": _write_wav, "flac": _write_flac, "ogg": _write_ogg,
            "opus": _write_ogg, "m4a": _write_m4a}


def _mb_custom(song: Song, pattern: str) -> dict[str, str]:
    ids = {"Album": song.mbid_album, "Artist": song.mbid_artist,
           "Album Artist": song.mbid_albumartist}
    return {pattern.format(k): v for k, v in ids.items() if v}


def _opt(value: int | None) -> str | None:
    return None if value is None else str(value)


def _nums(number: int, total: int | None) -> str:
    return f"{number}/{total}" if total else str(number)


def _mime(art: bytes) -> str:
    return "image/png" if art.startswith(b"\x89PNG") else "image/jpeg"


# ---------------------------------------------------------------------------- writing files

_template_cache: dict[Path, dict[str, bytes]] = {}


def _load_templates(tdir: Path) -> dict[str, bytes]:
    """Template bytes by format, plus the two cover images; read once per process."""
    if tdir not in _template_cache:
        loaded = {fmt: (tdir / f"template.{fmt}").read_bytes() for fmt in FORMATS}
        loaded["jpeg"] = (tdir / COVER).read_bytes()
        loaded["png"] = _png((204, 51, 102))
        _template_cache[tdir] = loaded
    return _template_cache[tdir]


def _render(song: Song, templates: dict[str, bytes]) -> bytes:
    """The file's bytes: the template of its format with the song's tags written in."""
    data = templates[song.format]
    if not song.tagged:
        return data
    buf = BytesIO(data)
    _WRITERS[song.format](buf, song, templates[song.art] if song.art else None)
    return buf.getvalue()


def _write_batch(dest: str, tdir: str, songs: list[Song]) -> list[dict[str, Any]]:
    """Write SONGS under DEST (runs in worker processes too); return their manifest entries."""
    templates = _load_templates(Path(tdir))
    root = Path(dest)
    made: set[Path] = set()
    entries = []
    for song in songs:
        target = root / song.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        data = _render(song, templates)
        target.write_bytes(data)
        entries.append(_song_entry(song, len(data)))
    return entries


def _write_songs(dest: Path, tdir: Path, songs: list[Song],
                 workers: int | None) -> list[dict[str, Any]]:
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(songs) < PARALLEL_THRESHOLD:
        return _write_batch(str(dest), str(tdir), songs)
    step = -(-len(songs) // (workers * 4))  # a few chunks per worker evens out the load
    chunks = [songs[i:i + step] for i in range(0, len(songs), step)]
    with ProcessPoolExecutor(workers) as pool:
        results = pool.map(_write_batch, [str(dest)] * len(chunks), [str(tdir)] * len(chunks),
                           chunks)
        return [entry for part in results for entry in part]


def _write_extras(dest: Path, tdir: Path, extras: dict[str, Any]) -> None:
    """The deliberately broken, hidden and non-audio files named in EXTRAS (test profile)."""
    rng = random.Random(1234)
    files: dict[str, bytes] = {}
    for rel in extras.get("corrupt", []):
        files[rel] = rng.randbytes(4096)
    for rel in extras.get("empty", []):
        files[rel] = b""
    for rel in extras.get("non_audio", []):
        files[rel] = b"Not music. The scanner must ignore this file.\n"
    for rel in extras.get("hidden_files", []):
        files[rel] = b"\x00\x05\x16\x07" + bytes(78)  # AppleDouble magic, as macOS leaves
    for rel in extras.get("folder_art", []):
        files[rel] = (tdir / COVER).read_bytes()
    templates = _load_templates(tdir)
    for song in extras.get("hidden_songs", []):
        files[song.path] = _render(song, templates)
    for rel, data in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_bytes(data)


# ---------------------------------------------------------------------------- manifest, stamp


def _split_genres(values: tuple[str, ...]) -> list[str]:
    """Expected genre list: multi-valued tags plus values joined with ';' split apart."""
    return [part.strip() for v in values for part in v.split(";") if part.strip()]


_ENTRY_FIELDS = tuple(f.name for f in fields(Song) if f.name != "art")


def _song_entry(song: Song, size: int) -> dict[str, Any]:
    # Shallow on purpose: dataclasses.asdict's deep copy was the slowest step of a bench run.
    entry = {name: getattr(song, name) for name in _ENTRY_FIELDS}
    if not song.tagged:  # what a scanner should show for a file without tags
        entry["title"] = Path(song.path).stem
    entry["genre_tags"] = list(song.genre_tags)
    entry["genres"] = _split_genres(song.genre_tags)
    entry["has_embedded_art"] = song.art is not None
    entry["art_mime"] = {"jpeg": "image/jpeg", "png": "image/png"}.get(song.art or "")
    entry["size"] = size
    return entry


def _build_manifest(params: dict[str, Any], entries: list[dict[str, Any]],
                    extras: dict[str, Any]) -> dict[str, Any]:
    return {
        **params,
        "songs": entries,
        "corrupt": extras.get("corrupt", []),
        "empty": extras.get("empty", []),
        "non_audio": [*extras.get("non_audio", []), MANIFEST],
        "hidden": [s.path for s in extras.get("hidden_songs", [])]
        + extras.get("hidden_files", []),
        "folder_art": extras.get("folder_art", []),
    }


def _own_hidden(dest: Path, tdir: Path) -> list[str]:
    hidden = [STAMP]
    if tdir.resolve().parent == dest.resolve():
        hidden.append(tdir.name + "/")
    return hidden


def _is_complete(dest: Path, params: dict[str, Any]) -> bool:
    try:
        stamp = json.loads((dest / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp == {**params, "complete": True} and (dest / MANIFEST).is_file()


def _prepare_dest(dest: Path) -> None:
    """Empty a library this script made before; refuse to touch any other directory."""
    if not dest.exists():
        dest.mkdir(parents=True)
        return
    entries = [p for p in dest.iterdir() if p.name != TEMPLATES]
    if not entries:
        return
    if not (dest / STAMP).is_file():
        raise FileExistsError(f"{dest} is not empty and was not made by make_library.py")
    for path in entries:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _write_stamp(dest: Path, params: dict[str, Any], *, complete: bool) -> None:
    (dest / STAMP).write_text(json.dumps({**params, "complete": complete}), "utf-8")


# ---------------------------------------------------------------------------- profile: test


def _mbid(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ampmini:{kind}:{name}"))


def _safe(name: str) -> str:
    """A path component: only '/' (and a leading dot) cannot appear in a Linux file name."""
    return name.replace("/", "-").lstrip(".") or "_"


def _album(artist: str, album: str, year: int, fmt: str, titles: list[str], *,
           folder: str | None = None, track_artists: list[str] | None = None,
           disc: int | None = None, disc_total: int | None = None, mbids: bool = False,
           **tags: Any) -> list[Song]:
    """Songs of one album folder; keyword TAGS apply to every track."""
    tags.setdefault("albumartist", artist)
    base = folder or f"{_safe(artist)}/{_safe(album)}"
    songs = []
    for n, title in enumerate(titles, 1):
        by = track_artists[n - 1] if track_artists else artist
        name = f"{n:02d} - {_safe(by) + ' - ' if track_artists else ''}{_safe(title)}.{fmt}"
        ids = {"mbid_track": _mbid("track", f"{album}/{title}"),
               "mbid_album": _mbid("album", album), "mbid_artist": _mbid("artist", by),
               "mbid_albumartist": _mbid("artist", artist)} if mbids else {}
        songs.append(Song(path=f"{base}/{name}", format=fmt, title=title, artist=by,
                          album=album, track=n, track_total=len(titles), disc=disc,
                          disc_total=disc_total, year=year, **ids, **tags))
    return songs


def _test_songs() -> list[Song]:
    odd_artist = "Tom & Jerry's \"<Band>\""
    odd_album = "Rock & Roll <Live> ]]> \"Edition\""
    wall = dict(albumartist="Pink Floyd", genre_tags=("Progressive Rock",), disc_total=2)
    songs = [
        *_album("Motörhead", "Ace of Spades", 1980, "mp3",
                ["Ace of Spades", "Love Me Like a Reptile", "Shoot You in the Back"],
                genre_tags=("Heavy Metal",), art="jpeg", mbids=True,
                composer="Lemmy Kilmister; Eddie Clarke; Phil Taylor"),
        *_album("Motörhead", "Overkill", 1979, "wav", ["Overkill", "Stay Clean"],
                genre_tags=("Heavy Metal",)),
        *_album("Björk", "Homogenic", 1997, "flac", ["Hunter", "Jóga", "Bachelorette"],
                date="1997-09-22", genre_tags=("Electronic",), art="png", mbids=True,
                comment="Recorded in Málaga"),
        *_album("Björk", "Post", 1995, "ogg", ["Army of Me", "Hyperballad"],
                genre_tags=("electronic",)),
        *_album("坂本龍一", "戦場のメリークリスマス", 1983, "opus",
                ["Merry Christmas Mr. Lawrence", "ザ・シード・アンド・ザ・ソウワー"],
                genre_tags=("Soundtrack",)),
        *_album("The Beatles", "Abbey Road", 1969, "m4a",
                ["Come Together", "Something", "Here Comes the Sun"],
                genre_tags=("Rock", "Pop"), art="jpeg", mbids=True, composer="Lennon-McCartney"),
        *_album("The Beatles", "Let It Be", 1970, "mp3", ["Let It Be", "Get Back"],
                genre_tags=("Rock; Pop",)),
        *_album("Pink Floyd", "The Wall", 1979, "flac", ["In the Flesh?", "The Thin Ice"],
                folder="Pink Floyd/The Wall/CD1", disc=1, **wall),
        *_album("Pink Floyd", "The Wall", 1979, "flac", ["Hey You", "Comfortably Numb"],
                folder="Pink Floyd/The Wall/CD2", disc=2, **wall),
        *_album(odd_artist, odd_album, 2001, "mp3",
                ["It's <b>bold</b> & \"quoted\"", "CDATA ]]> end", "A > B < C"],
                genre_tags=("R&B",), comment="<![CDATA[ nested ]]> & stuff"),
        *_album("AC/DC", "Back in Black", 1980, "mp3", ["Hells Bells", "Back in Black"],
                genre_tags=("Hard Rock",)),
        *_album("Queen", "Greatest Hits", 1981, "mp3",
                ["Bohemian Rhapsody", "Another One Bites the Dust"], genre_tags=("rock",)),
        *_album("ABBA", "Greatest Hits", 1975, "flac", ["SOS", "Mamma Mia"],
                genre_tags=("Pop",)),
        *_album("Various Artists", "80s Hits", 1999, "mp3",
                ["Like a Prayer", "Purple Rain", "Big Time Sensuality", "Ace of Spades (Live)"],
                track_artists=["Madonna", "Prince", "Björk", "Motörhead"],
                genre_tags=("Pop",), compilation=True, mbids=True),
        *_album("Various Artists", "Movie Themes", 1995, "m4a",
                ["Main Title", "Merry Christmas Mr. Lawrence (Live)"],
                track_artists=["John Williams", "坂本龍一"], genre_tags=("Soundtrack",),
                compilation=True, art="jpeg", comment="Played at the cinema"),
        *_album("Various Artists", "Chill Out Sessions", 2002, "ogg",
                ["La Femme d'Argent", "Eple", "Digital Love"],
                folder="Compilations/Chill Out Sessions",
                track_artists=["Air", "Röyksopp", "Daft Punk"], genre_tags=("Electronic",),
                compilation=True, albumartist=None),
    ]
    # replaygain on exactly one track (Björk - Hunter, where Vorbis comments are customary).
    gain = {"replaygain_track_gain": "-6.50 dB", "replaygain_track_peak": "0.988547",
            "replaygain_album_gain": "-7.00 dB", "replaygain_album_peak": "1.000000"}
    songs = [replace(s, replaygain=gain) if s.title == "Hunter" else s for s in songs]
    return [
        *songs,
        Song(path="Singles/Röyksopp - Eple (Single Edit).opus", format="opus",
             title="Eple (Single Edit)", artist="Röyksopp", year=2001,
             genre_tags=("Electronic",)),
        Song(path="Unsorted/untagged song.mp3", format="mp3", title=None, tagged=False),
    ]


def _test_extras() -> dict[str, Any]:
    hidden_song = Song(path=".hidden/Hidden Song.mp3", format="mp3", title="Hidden Song",
                       artist="Nobody", album="Secret", track=1, year=2000)
    return {
        "corrupt": ["Broken/corrupt.mp3", "Broken/corrupt.flac"],
        "empty": ["Broken/empty.ogg"],
        "non_audio": ["notes.txt"],
        "hidden_songs": [hidden_song],
        "hidden_files": ["Motörhead/Ace of Spades/._01 - Ace of Spades.mp3"],
        "folder_art": [f"Björk/Post/{COVER}"],
    }


# ---------------------------------------------------------------------------- profile: bench

_GENRES = [
    "Rock", "Pop", "Jazz", "Blues", "Classical", "Electronic", "Hip-Hop", "R&B", "Soul", "Funk",
    "Country", "Folk", "Reggae", "Metal", "Heavy Metal", "Punk", "Indie", "Alternative",
    "Ambient", "House", "Techno", "Trance", "Drum & Bass", "Dubstep", "Disco", "Gospel", "Latin",
    "Bossa Nova", "Soundtrack", "World", "New Age", "Ska", "Grunge", "Progressive Rock",
    "Hard Rock", "Synthpop", "Trip-Hop", "Downtempo", "Chanson", "K-Pop",
]
_SYLLABLES = ("ka", "lo", "mi", "ra", "ne", "so", "tu", "vel", "dar", "in", "or", "ash", "en",
              "bri", "mon", "tal", "ze", "quo", "ri", "fa", "lu", "ster", "gon", "pi", "ax", "no",
              "ve", "ul", "ho", "cre")
_ACCENTED = str.maketrans("aeiou", "äéíöü")
_FORMAT_WEIGHTS = {"mp3": 55, "flac": 30, "m4a": 6, "ogg": 4, "opus": 3, "wav": 2}


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))).capitalize()


def _phrase(rng: random.Random, low: int, high: int) -> str:
    return " ".join(_word(rng) for _ in range(rng.randint(low, high)))


def _bench_artist(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = _phrase(rng, 1, 3)
        if rng.random() < 0.1:
            name = "The " + name
        if rng.random() < 0.05:
            name = name.translate(_ACCENTED)
        if name not in taken:
            taken.add(name)
            return name


def _bench_album(rng: random.Random, artist: str, album: str, pool: list[str],
                 compilation: bool) -> list[Song]:
    fmt = rng.choices(list(_FORMAT_WEIGHTS), weights=list(_FORMAT_WEIGHTS.values()))[0]
    discs = 2 if rng.random() < 0.08 else 1
    year = rng.randint(1960, 2024)
    genre = rng.choice(_GENRES)
    art = "jpeg" if rng.random() < 0.05 else None
    base = f"{_safe(artist)}/{_safe(album)}"
    songs = []
    for disc in range(1, discs + 1):
        count = rng.randint(6, 14)
        for n in range(1, count + 1):
            title = _phrase(rng, 1, 4)
            by = rng.choice(pool) if compilation else artist
            genres = (genre, rng.choice(_GENRES)) if rng.random() < 0.15 else (genre,)
            folder = f"{base}/CD{disc}" if discs > 1 else base
            songs.append(Song(
                path=f"{folder}/{n:02d} - {_safe(title)}.{fmt}", format=fmt, title=title,
                artist=by, album=album, albumartist="Various Artists" if compilation else artist,
                track=n, track_total=count, disc=disc if discs > 1 else None,
                disc_total=discs if discs > 1 else None, year=year, genre_tags=genres,
                compilation=compilation, art=art))
    return songs


def _bench_songs(total: int, seed: int) -> list[Song]:
    """About 10 tracks an album, 5 albums an artist; some multi-disc, some compilations."""
    rng = random.Random(seed)
    taken: set[str] = {"Various Artists"}
    artists: list[str] = []
    songs: list[Song] = []
    while len(songs) < total:
        artist = _bench_artist(rng, taken)
        artists.append(artist)
        albums: set[str] = set()
        for _ in range(rng.randint(3, 7)):
            album = _phrase(rng, 1, 4)
            while album in albums:
                album += " II"
            albums.add(album)
            songs += _bench_album(rng, artist, album, [artist], compilation=False)
        if rng.random() < 0.3:
            album = f"{_phrase(rng, 1, 3)} Collection {len(artists)}"
            songs += _bench_album(rng, "Various Artists", album, artists[-50:], compilation=True)
    return songs[:total]


# ---------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a library into DEST and print a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="directory to fill (created if missing)")
    parser.add_argument("--profile", choices=("test", "bench"), default="test")
    parser.add_argument("--tracks", type=int, default=None,
                        help=f"bench only (default {BENCH_DEFAULT_TRACKS})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--templates", type=Path, default=None,
                        help=f"template cache directory (default DEST/{TEMPLATES})")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        manifest = make_library(args.dest, profile=args.profile, tracks=args.tracks,
                                seed=args.seed, template_dir=args.templates,
                                workers=args.workers)
    except (FfmpegMissingError, FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = sum(song["size"] for song in manifest["songs"])
    print(f"{len(manifest['songs'])} songs, {size / 1e6:.1f} MB in {args.dest} "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
