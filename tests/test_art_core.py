"""Art lookup (embedded, folder), magic-byte types, size parsing, resize cache, served over HTTP."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import bottle
import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3

from ampmini import art
from ampmini.sendfile import serve_background
from ampmini.stream import send_bytes, send_file

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
needs_pillow = pytest.mark.skipif(not art.have_pillow(), reason="Pillow (ampmini[art]) missing")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("art")
    out = {
        "jpg": d / "big.jpg",
        "png": d / "small.png",
        "alpha": d / "alpha.png",
        "mp3": d / "song.mp3",
        "flac": d / "song.flac",
    }
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=600x400", "-frames:v", "1", str(out["jpg"]))
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=32x32", "-frames:v", "1", str(out["png"]))
    ffmpeg("-f", "lavfi", "-i", "color=c=blue@0.5:size=500x500,format=rgba", "-frames:v", "1",
           str(out["alpha"]))
    for ext in ("mp3", "flac"):
        ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(out[ext]))
    return out


def tagged_mp3(files: dict[str, Path], dest: Path, *pictures: tuple[int, Path]) -> Path:
    shutil.copy(files["mp3"], dest)
    tags = ID3()
    for i, (kind, image) in enumerate(pictures):
        mime = "image/png" if image.suffix == ".png" else "image/jpeg"
        tags.add(APIC(encoding=3, mime=mime, type=kind, desc=f"pic{i}", data=image.read_bytes()))
    tags.save(dest)
    return dest


def test_embedded_front_cover_preferred(files: dict[str, Path], tmp_path: Path) -> None:
    song = tagged_mp3(files, tmp_path / "a.mp3", (0, files["png"]), (3, files["jpg"]))
    assert art.embedded_art(song) == (files["jpg"].read_bytes(), "image/jpeg")


def test_embedded_any_image_when_no_front(files: dict[str, Path], tmp_path: Path) -> None:
    song = tagged_mp3(files, tmp_path / "b.mp3", (0, files["png"]))
    assert art.embedded_art(song) == (files["png"].read_bytes(), "image/png")


def test_embedded_flac_picture(files: dict[str, Path], tmp_path: Path) -> None:
    song = tmp_path / "c.flac"
    shutil.copy(files["flac"], song)
    tags = FLAC(song)
    pic = Picture()
    pic.type, pic.mime, pic.data = 3, "image/png", files["png"].read_bytes()
    tags.add_picture(pic)
    tags.save()
    assert art.embedded_art(song) == (files["png"].read_bytes(), "image/png")


def test_no_embedded_art(files: dict[str, Path], tmp_path: Path) -> None:
    assert art.embedded_art(files["mp3"]) is None
    assert art.embedded_art(files["flac"]) is None
    assert art.embedded_art(tmp_path / "missing.mp3") is None
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00" * 1000)
    assert art.embedded_art(junk) is None


def test_folder_art_precedence(tmp_path: Path) -> None:
    assert art.folder_art(tmp_path) is None
    for name in ("album.png", "Front.PNG", "Folder.JPG", "folder.png", "notcover.jpg"):
        (tmp_path / name).write_bytes(b"x")
    assert art.folder_art(tmp_path) == tmp_path / "Folder.JPG"  # folder > front > album; jpg > png
    (tmp_path / "COVER.jpeg").write_bytes(b"x")
    assert art.folder_art(tmp_path) == tmp_path / "COVER.jpeg"
    (tmp_path / "COVER.jpeg").unlink()
    (tmp_path / "cover.jpg").mkdir()  # a directory with the right name is not art
    assert art.folder_art(tmp_path) == tmp_path / "Folder.JPG"
    assert art.folder_art(tmp_path / "nope") is None


def test_image_mime(files: dict[str, Path]) -> None:
    assert art.image_mime(files["jpg"].read_bytes()) == "image/jpeg"
    assert art.image_mime(files["png"].read_bytes()) == "image/png"
    assert art.image_mime(b"GIF89a....") == "image/gif"
    assert art.image_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert art.image_mime(b"hello") == "application/octet-stream"


@pytest.mark.parametrize(
    ("size", "thumb", "expected"),
    [
        ("256x256", None, (256, 256)),
        ("300X200", None, (300, 200)),
        (" 128 ", None, (128, 128)),
        ("original", None, None),
        ("0x10", None, None),
        ("-5", None, None),
        ("99999x10", None, None),
        ("12x", None, None),
        (None, "2", (256, 256)),
        (None, 22, (512, 512)),
        (None, "300", (400, 600)),
        (None, "11", (300, 300)),
        (None, "13", None),
        (None, "x", None),
        ("64x64", "2", (64, 64)),  # size wins
        (None, None, None),
    ],
)
def test_parse_size(size: str | None, thumb: str | int | None, expected: tuple | None) -> None:
    assert art.parse_size(size, thumb) == expected


def test_thumb_table_matches_spec() -> None:
    assert len(art.THUMB_SIZES) == 19
    assert art.THUMB_SIZES[999] == (400, 400)
    assert art.THUMB_SIZES[9] == (300, 168)


@needs_pillow
def test_resize_and_cache_hit(files: dict[str, Path], tmp_path: Path) -> None:
    from PIL import Image

    cache = tmp_path / "cache"
    key = art.art_key("album", 7, files["jpg"].stat().st_mtime)
    path, mime = art.resized(files["jpg"], (128, 128), cache, key)
    assert mime == "image/jpeg"
    assert isinstance(path, Path)
    assert path.parent == cache
    with Image.open(path) as img:
        assert img.size == (128, 85)  # fits in the box, aspect kept
    before = path.stat()
    again, _ = art.resized(files["jpg"].read_bytes(), (128, 128), cache, key)
    assert again == path
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    other, _ = art.resized(files["jpg"], (64, 64), cache, key)
    assert other != path  # size is part of the cache name
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp")]


@needs_pillow
def test_resize_keeps_alpha_as_png(files: dict[str, Path], tmp_path: Path) -> None:
    path, mime = art.resized(files["alpha"].read_bytes(), (100, 100), tmp_path, "song-1-5")
    assert mime == "image/png"
    assert isinstance(path, Path)
    assert art.image_mime(path.read_bytes()) == "image/png"


@needs_pillow
def test_no_upscale_and_bad_data_give_the_original(files: dict[str, Path], tmp_path: Path) -> None:
    assert art.resized(files["png"], (256, 256), tmp_path, "k1") == (files["png"], "image/png")
    small = files["png"].read_bytes()
    assert art.resized(small, (256, 256), tmp_path, "k2") == (small, "image/png")
    assert art.resized(b"not an image", (64, 64), tmp_path, "k3") == (
        b"not an image",
        "application/octet-stream",
    )
    assert list(tmp_path.iterdir()) == []  # nothing cached for any of these


def test_without_pillow_the_original_is_served(files: dict[str, Path], tmp_path: Path) -> None:
    # A real interpreter in which importing PIL fails, as on a Pi without the [art] extra.
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "from pathlib import Path\n"
        "from ampmini import art\n"
        "assert not art.have_pillow()\n"
        f"r = art.resized(Path({str(files['jpg'])!r}), (64, 64), Path({str(tmp_path)!r}), 'k')\n"
        f"assert r == (Path({str(files['jpg'])!r}), 'image/jpeg'), r\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def art_port(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The shape of an /image.php route: embedded art, resized when asked, cached, 304-able."""
    d = tmp_path_factory.mktemp("served")
    song = tagged_mp3(files, d / "s.mp3", (3, files["jpg"]))
    cache = d / "cache"
    app = bottle.Bottle()

    @app.route("/image.php")
    def image() -> bottle.HTTPResponse:
        q = bottle.request.query.decode()
        found = art.embedded_art(song)
        if found is None:
            return bottle.HTTPResponse("", 404)
        data, mime = found
        mtime = int(song.stat().st_mtime)
        size = art.parse_size(q.get("size"), q.get("thumb"))
        body: Path | bytes = data
        if size is not None:
            body, mime = art.resized(data, size, cache, art.art_key("song", 1, mtime))
        headers = {"Cache-Control": "private, max-age=604800"}
        if isinstance(body, Path):
            return send_file(bottle.request, body, mime, download_name="art.jpg",
                             disposition="inline", extra_headers=headers)
        return send_bytes(bottle.request, body, mime, etag=f"song-1-{mtime}",
                          download_name="art.jpg", extra_headers=headers)

    with serve_background(app) as server:
        yield int(server.effective_port)


def _get(port: int, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers=headers)
        resp = c.getresponse()
        return resp, resp.read()
    finally:
        c.close()


def test_served_original_and_304(art_port: int, files: dict[str, Path]) -> None:
    resp, body = _get(art_port, "/image.php?object_id=1&object_type=song")
    assert (resp.status, body) == (200, files["jpg"].read_bytes())
    assert resp.getheader("Content-Type") == "image/jpeg"
    assert resp.getheader("Content-Disposition") == 'inline; filename="art.jpg"'
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    etag = resp.getheader("ETag")
    resp, body = _get(art_port, "/image.php?object_id=1", **{"If-None-Match": etag})
    assert (resp.status, body) == (304, b"")


@needs_pillow
def test_served_resized_from_cache(art_port: int) -> None:
    first, body = _get(art_port, "/image.php?object_id=1&object_type=song&thumb=5")
    assert first.status == 200
    assert art.image_mime(body) == "image/jpeg"
    assert len(body) < 10_000
    second, again = _get(art_port, "/image.php?object_id=1&object_type=song&size=64x64")
    assert again == body
    assert second.getheader("ETag") == first.getheader("ETag")  # the same cached file
    resp, _ = _get(art_port, "/image.php?size=64x64", **{"If-None-Match": first.getheader("ETag")})
    assert resp.status == 304
