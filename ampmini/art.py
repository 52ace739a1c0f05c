"""Find cover art (embedded or in the folder) and serve it resized, from an on-disk cache.

Pillow is optional (``ampmini[art]``): it is a large C dependency, and without it every size is
answered with the original image, which every client accepts (spec §10.3: "or the original if
resizing is impossible").
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import re
import tempfile
from pathlib import Path

from tinytag import TinyTag

__all__ = [
    "THUMB_SIZES",
    "art_key",
    "embedded_art",
    "folder_art",
    "have_pillow",
    "image_mime",
    "parse_size",
    "resized",
]


# Old Ampache ``thumb=N`` values still found in cached /image.php links (spec §10.3).
THUMB_SIZES: dict[int, tuple[int, int]] = {
    1: (200, 200), 2: (256, 256), 22: (512, 512), 32: (768, 768), 3: (160, 160), 5: (64, 64),
    6: (200, 300), 34: (68, 68), 64: (128, 128), 174: (348, 348), 300: (400, 600),
    7: (400, 600), 8: (940, 400), 9: (300, 168), 10: (48, 48), 4: (300, 300), 11: (300, 300),
    12: (300, 300), 999: (400, 400),
}  # fmt: skip
MAX_SIDE = 4096  # larger asks are served the original rather than allocating a huge canvas

FOLDER_NAMES = ("cover", "folder", "front", "album")
FOLDER_EXTS = (".jpg", ".jpeg", ".png")


def have_pillow() -> bool:
    """True when resizing is available (Pillow, an optional extra, is installed)."""
    return importlib.util.find_spec("PIL") is not None


def image_mime(data: bytes) -> str:
    """The image type from its magic bytes (file names and tags lie)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"BM"):
        return "image/bmp"
    return "application/octet-stream"


def embedded_art(path: str | os.PathLike[str]) -> tuple[bytes, str] | None:
    """The front cover embedded in an audio file (else any embedded image), with its mime type."""
    try:
        # Images live in the tag block, so tags=True is needed; duration is skipped (it can mean
        # scanning the whole file).
        tag = TinyTag.get(os.fspath(path), duration=False, image=True)
    except Exception:  # tinytag raises many types on damaged files; "no art" is the answer
        return None
    image = tag.images.front_cover or tag.images.any
    if image is None or not image.data:
        return None
    mime = image_mime(image.data)
    if mime == "application/octet-stream" and image.mime_type:
        mime = image.mime_type  # an unusual format: trust the tag's own claim
    return image.data, mime


def folder_art(folder: str | os.PathLike[str]) -> Path | None:
    """cover > folder > front > album, each .jpg > .jpeg > .png; names match case-insensitively."""
    try:
        entries = {entry.name.lower(): entry for entry in os.scandir(folder)}
    except OSError:
        return None
    for stem in FOLDER_NAMES:
        for ext in FOLDER_EXTS:
            entry = entries.get(stem + ext)
            if entry is not None and entry.is_file():
                return Path(entry.path)
    return None


_SIZE_RE = re.compile(r"^\s*(\d{1,5})\s*(?:[xX*]\s*(\d{1,5}))?\s*$")


def parse_size(
    size: str | None = None, thumb: str | int | None = None
) -> tuple[int, int] | None:
    """``"256x256"`` or ``"128"`` (square) or ``thumb=N`` → (w, h); None = the original.

    ``size`` wins over ``thumb``. ``original``, garbage, zero and sides over ``MAX_SIDE`` give None.
    """
    if size:
        match = _SIZE_RE.match(size)
        if match is None:
            return None
        w = int(match.group(1))
        h = int(match.group(2) or w)
        if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
            return None
        return (w, h)
    if thumb is not None and str(thumb).strip().isdigit():
        return THUMB_SIZES.get(int(thumb))
    return None


def art_key(object_type: str, object_id: int | str, source_mtime: float | int) -> str:
    """Cache key for an object's art; a changed source (new mtime) gets a new key."""
    return f"{object_type}-{object_id}-{int(source_mtime)}"


def _cache_name(key: str, size: tuple[int, int]) -> str:
    readable = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:80]
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{readable}-{digest}-{size[0]}x{size[1]}"


def resized(
    data_or_path: bytes | str | os.PathLike[str],
    size: tuple[int, int],
    cache_dir: Path,
    key: str,
) -> tuple[Path | bytes, str]:
    """The image scaled to fit within ``size`` (aspect kept, never enlarged), cached on disk.

    Returns a cache file path (serve with ``stream.send_file``), or the original bytes/path
    unchanged when Pillow is missing, the image already fits, or it cannot be decoded.
    ``key`` names the source (see ``art_key``); the size is added here. Later calls with the same
    key and size return the cached file without decoding anything.
    """
    source_path = None if isinstance(data_or_path, bytes) else Path(data_or_path)
    name = _cache_name(key, size)
    for ext, mime in ((".jpg", "image/jpeg"), (".png", "image/png")):
        cached = cache_dir / (name + ext)
        if cached.is_file():
            return cached, mime

    data = data_or_path if source_path is None else source_path.read_bytes()
    original: Path | bytes = data if source_path is None else source_path
    if not have_pillow():
        return original, image_mime(data)
    # Imported on the first resize: Pillow is 3 MB of a Pi's idle RSS otherwise.
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as img:
            img = ImageOps.exif_transpose(img)
            if img.width <= size[0] and img.height <= size[1]:
                return original, image_mime(data)
            img.thumbnail(size, Image.Resampling.LANCZOS)
            keep_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            buf = io.BytesIO()
            if keep_alpha:
                img.save(buf, "PNG", optimize=True)
                ext, mime = ".png", "image/png"
            else:
                img.convert("RGB").save(buf, "JPEG", quality=85, optimize=True)
                ext, mime = ".jpg", "image/jpeg"
    except (OSError, ValueError, Image.DecompressionBombError):
        return original, image_mime(data)

    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / (name + ext)
    # Write then rename: a concurrent request never serves a half-written file.
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=ext)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(buf.getvalue())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target, mime
