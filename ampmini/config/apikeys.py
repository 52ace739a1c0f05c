"""Writing ``[apikeys]``: set or remove one user's key in the file, keeping its comments."""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import secrets
import stat
import tempfile
import threading
from pathlib import Path

from .errors import ConfigError
from .loader import parse_config
from .sections import _parse_apikey

_WRITE_LOCK = threading.Lock()  # reset_apikey from two API threads must not lose an update
_USERNAME = re.compile(r"^[^\s=:\[\]#;][^\s=:]*$")


def generate_apikey() -> str:
    """A new random API key: 32 hex digits."""
    return secrets.token_hex(16)


def _with_apikey(text: str, username: str, key: str | None) -> str:
    """``text`` with ``[apikeys] username`` set to ``key`` (None: removed), all else kept."""
    # Imported here: configupdater (with importlib.metadata) is 5 MB of idle RSS on a Pi,
    # for a write that happens when an admin changes a key.
    from configupdater import ConfigUpdater

    updater = ConfigUpdater(strict=True, empty_lines_in_values=False)
    if key is not None and not re.search(r"(?m)^\[apikeys\]", text):
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if text.strip() else "") + "[apikeys]\n"
    updater.read_string(text)
    if not updater.has_section("apikeys"):
        return text  # removing from a file without keys: nothing to do
    section = updater["apikeys"]
    if section.has_option(username):  # case-insensitive, like the loader
        if key is None:
            del section[username]
        else:
            section[username].value = key
    elif key is not None:
        options = section.option_blocks()
        if options:
            # After the last key, not after trailing comments that introduce the next section.
            options[-1].add_after.option(username, key)
        else:
            section.set(username, key)
    return str(updater)


def set_apikey(path: Path, username: str, key: str | None) -> None:
    """Set (``key=None``: remove) the API key of ``username`` in the config file at ``path``.

    The file is rewritten with configupdater, so comments, blank lines and key order stay as
    they were; it is replaced atomically (temp file in the same directory with the same mode
    and owner, fsync, rename), and the result is checked with the loader first, so a running
    server never sees a half-written or invalid file. Missing file: created with mode 0600.
    """
    if not _USERNAME.match(username):
        raise ConfigError(f"{username!r} cannot be used as a user name in [apikeys]")
    if key is not None:
        try:
            _parse_apikey(username, key)
        except ValueError as error:
            raise ConfigError(f"[apikeys] {username}: {error}") from None
    path = Path(path)
    target = Path(os.path.realpath(path))  # write through a symlink instead of replacing it
    with _WRITE_LOCK:
        try:
            text = target.read_text(encoding="utf-8") if target.exists() else ""
            st = target.stat() if target.exists() else None
        except OSError as error:
            raise ConfigError(f"{path}: cannot read: {error.strerror}", path=path) from error
        if st is not None and not os.access(target, os.W_OK):
            raise ConfigError(f"{path}: cannot write: the file is not writable", path=path)
        # A BOM (Windows editors) would hide the first [section] from the parser; keep it aside.
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text.removeprefix(bom)
        try:
            new_text = _with_apikey(text, username, key)
        except configparser.Error as error:
            raise ConfigError(f"{path}: cannot update: {error}", path=path) from None
        if new_text == text:
            return
        parse_config(new_text, path)  # raises ConfigError naming the problem; nothing written
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o600
        owner = (st.st_uid, st.st_gid) if st is not None else None
        _write_atomically(target, bom + new_text, mode, owner)


def _write_atomically(path: Path, text: str, mode: int, owner: tuple[int, int] | None) -> None:
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot write in {path.parent}: {error.strerror}", path=path
        ) from error
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), mode)
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                # Only root may give a file away (e.g. `sudo ampmini adduser` on the service's
                # file); for others the mode alone keeps the secret.
                with contextlib.suppress(PermissionError):
                    os.fchown(file.fileno(), *owner)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {error.strerror}", path=path) from error
    # The rename itself must reach the disk too (a Pi loses power at awkward moments).
    with contextlib.suppress(OSError):
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
