"""Tests for scripts/make_library.py: generated files are valid audio matching the manifest."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tinytag import TinyTag

_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_library.py"


def _load() -> ModuleType:
    # scripts/ is not a package; register the module so worker processes can unpickle Songs.
    if "make_library" in sys.modules:
        return sys.modules["make_library"]
    spec = importlib.util.spec_from_file_location("make_library", _SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_library"] = module
    spec.loader.exec_module(module)
    return module


ml = _load()
needs_ffmpeg = pytest.mark.skipif(not ml.ffmpeg_available(), reason="ffmpeg not installed")
# Where each format keeps the compilation flag, as tinytag reports it in `other`.
_COMPILATION_KEY = {"mp3": "tcmp", "wav": "tcmp", "m4a": "cpil", "flac": "compilation",
                    "ogg": "compilation", "opus": "compilation"}


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ml.ensure_templates(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="module")
def test_lib(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dest = tmp_path_factory.mktemp("lib")
    return dest, ml.make_library(dest)


def _read(path: Path) -> TinyTag:
    return TinyTag.get(path, image=True)


def _check_tags(tag: TinyTag, song: dict[str, Any]) -> None:
    for key in ("artist", "album", "albumartist", "track", "track_total", "disc", "disc_total",
                "composer", "comment"):
        assert getattr(tag, key) == song[key], key
    assert tag.title == (song["title"] if song["tagged"] else None)
    assert [tag.genre, *tag.other.get("genre", [])] == (song["genre_tags"] or [None])
    if song["year"] is not None:
        assert tag.year == (song["date"] or str(song["year"]))
    flag = tag.other.get(_COMPILATION_KEY[song["format"]])
    assert (flag == ["1"]) is song["compilation"]
    others = " ".join(v for values in tag.other.values() for v in values)
    for key in ("mbid_track", "mbid_album", "mbid_artist", "mbid_albumartist"):
        assert song[key] is None or song[key] in others, key
    for key, value in (song["replaygain"] or {}).items():
        assert tag.other[key] == [value]


@needs_ffmpeg
def test_every_song_reads_back_its_manifest_tags(test_lib: tuple[Path, dict[str, Any]]) -> None:
    dest, manifest = test_lib
    assert 30 <= len(manifest["songs"]) <= 60
    for song in manifest["songs"]:
        path = dest / song["path"]
        tag = _read(path)
        assert path.stat().st_size == song["size"]
        assert (tag.duration or 0) > 0, song["path"]
        assert min(tag.bitrate or 0, tag.samplerate or 0, tag.channels or 0) > 0
        _check_tags(tag, song)
        cover = tag.images.front_cover
        assert (cover is not None) is song["has_embedded_art"], song["path"]
        if cover:
            assert cover.mime_type == song["art_mime"]
            assert cover.data[:4] in (b"\xff\xd8\xff\xe0", b"\x89PNG")


@needs_ffmpeg
def test_manifest_covers_the_edge_cases(test_lib: tuple[Path, dict[str, Any]]) -> None:
    dest, manifest = test_lib
    songs = manifest["songs"]
    assert {s["format"] for s in songs} == set(ml.FORMATS)
    wall = [s for s in songs if s["album"] == "The Wall"]
    assert {s["path"].split("/")[2] for s in wall} == {"CD1", "CD2"}
    assert {s["disc"] for s in wall} == {1, 2}
    assert {s["albumartist"] for s in wall} == {"Pink Floyd"}
    comps = {s["album"]: s["albumartist"] for s in songs if s["compilation"]}
    assert "Various Artists" in comps.values()
    assert None in comps.values()
    untagged = [s for s in songs if not s["tagged"]]
    assert [s["title"] for s in untagged] == ["untagged song"]
    names = " ".join(f"{s['title']} {s['artist']} {s['album']}" for s in songs)
    for needle in ("Motörhead", "Björk", "坂本龍一", "&", "'", '"', "<", ">", "]]>", "The "):
        assert needle in names
    assert any(len(s["genre_tags"]) > 1 for s in songs)
    assert any(";" in g for s in songs for g in s["genre_tags"])
    assert ["Rock", "Pop"] in [s["genres"] for s in songs]
    assert sum(s["replaygain"] is not None for s in songs) == 1
    assert (dest / manifest["folder_art"][0]).read_bytes()[:2] == b"\xff\xd8"
    assert json.loads((dest / "manifest.json").read_text("utf-8")) == manifest


@needs_ffmpeg
def test_broken_and_hidden_files_exist(test_lib: tuple[Path, dict[str, Any]]) -> None:
    dest, manifest = test_lib
    for rel in manifest["corrupt"]:
        assert (dest / rel).stat().st_size > 0
    with pytest.raises(Exception):  # noqa: B017, PT011 - any tinytag error is fine
        TinyTag.get(dest / "Broken/corrupt.flac")
    assert [(dest / rel).stat().st_size for rel in manifest["empty"]] == [0]
    for rel in manifest["non_audio"] + manifest["hidden"]:
        assert (dest / rel).exists(), rel
    visible = {s["path"] for s in manifest["songs"]}
    assert not any(part.startswith(".") for p in visible for part in p.split("/"))


@needs_ffmpeg
def test_bench_profile_is_readable_and_deterministic(tmp_path: Path, templates: Path) -> None:
    first = ml.make_library(tmp_path / "a", profile="bench", tracks=200, seed=7,
                            template_dir=templates)
    again = ml.make_library(tmp_path / "b", profile="bench", tracks=200, seed=7,
                            template_dir=templates)
    other = ml.make_library(tmp_path / "c", profile="bench", tracks=200, seed=8,
                            template_dir=templates)
    assert len(first["songs"]) == 200
    assert first["songs"] == again["songs"]
    assert first["songs"] != other["songs"]
    files = [p for p in (tmp_path / "a").rglob("*") if p.suffix[1:] in ml.FORMATS]
    assert len(files) == 200
    for song in first["songs"]:
        tag = _read(tmp_path / "a" / song["path"])
        assert (tag.duration or 0) > 0
        assert (tag.title, tag.artist, tag.album) == (song["title"], song["artist"],
                                                      song["album"])


@needs_ffmpeg
def test_rerun_is_a_noop_and_new_parameters_regenerate(tmp_path: Path, templates: Path) -> None:
    dest = tmp_path / "lib"
    first = ml.make_library(dest, profile="bench", tracks=20, template_dir=templates)
    marker = dest / first["songs"][0]["path"]
    marker.write_bytes(b"changed")  # a no-op run must not rewrite it
    assert ml.make_library(dest, profile="bench", tracks=20, template_dir=templates) == first
    assert marker.read_bytes() == b"changed"
    second = ml.make_library(dest, profile="bench", tracks=30, template_dir=templates)
    assert len(second["songs"]) == 30
    assert marker.read_bytes() != b"changed"


def test_refuses_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        ml.make_library(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_missing_ffmpeg_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert not ml.ffmpeg_available()
    with pytest.raises(ml.FfmpegMissingError, match="ffmpeg"):
        ml.make_library(tmp_path / "lib")
