"""The live config: reloaded when the file changes or on SIGHUP, the old one kept if broken."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from .errors import ConfigError
from .keys import KEYS
from .loader import find_config_path, load_config
from .model import Config

# The package's name, as before the split: it shows in log lines and filters may match it.
log = logging.getLogger("ampmini.config")

_Stamp = tuple[int, int, int] | None


def _stamp(path: Path | None) -> _Stamp:
    """What changes when the file is edited or replaced; None when it is missing."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    # The inode catches os.replace() within one mtime tick (set_apikey does exactly that).
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def restart_changes(old: Config, new: Config) -> list[str]:
    """Human-readable ``[section] key`` changes that only a restart applies."""
    changes = []
    for (section, name), key in KEYS.items():
        if not key.restart:
            continue
        before = getattr(getattr(old, section), name)
        after = getattr(getattr(new, section), name)
        if before != after:
            changes.append(f"[{section}] {name}: {before} → {after}")
    return changes


class ConfigHolder:
    """The current Config, swapped for a fresh one on :meth:`reload` (file edit or SIGHUP).

    A file that fails to load is logged and the previous Config stays in use, so a typo in a
    running server's config never takes it down.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._requested = path
        self._lock = threading.Lock()  # one reload at a time
        # SIGHUP bumps _wanted; a reload records the _wanted it started from once it is done,
        # so a reader arriving mid-reload waits for it and a SIGHUP during a reload is not lost.
        self._wanted = 0
        self._done = 0
        source = find_config_path(path)
        self._stamp = _stamp(source)
        self._config = load_config(path)

    @property
    def current(self) -> Config:
        """The Config in use (first applying a SIGHUP reload that is still pending)."""
        if self._done != self._wanted:
            self._reload_pending()
        return self._config

    def changed(self) -> bool:
        """True when the file was edited, replaced or removed since the last (re)load attempt.
        One stat() call: cheap enough for every request or a 2-second timer."""
        return _stamp(find_config_path(self._requested)) != self._stamp

    def reload(self) -> bool:
        """Re-read the file; True when a new Config is in use, False (logged) when it is broken."""
        with self._lock:
            return self._reload_locked()

    def _reload_locked(self) -> bool:
        wanted = self._wanted
        source = find_config_path(self._requested)
        # Stamp before reading: an edit made while we read shows up as a change next time.
        self._stamp = _stamp(source)
        old = self._config
        try:
            new = load_config(self._requested)
        except ConfigError as error:
            log.error("config not reloaded, still using the previous one: %s", error)
            return False
        finally:
            self._done = wanted
        self._config = new
        log.info("config reloaded from %s", new.source or "built-in defaults")
        for change in restart_changes(old, new):
            log.warning("%s — takes effect after a restart", change)
        return True

    def reload_if_changed(self) -> bool:
        """:meth:`reload` when the file changed or a SIGHUP is pending; for a periodic timer."""
        if self._done != self._wanted or self.changed():
            return self.reload()
        return False

    def install_sighup(self) -> None:
        """Make SIGHUP (``systemctl reload``) reload the config. Main thread only."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("signal handlers can only be installed from the main thread")
        signal.signal(signal.SIGHUP, self._on_sighup)

    def _on_sighup(self, _signum: int, _frame: FrameType | None) -> None:
        # The handler runs in the main thread between two bytecodes, possibly while that thread
        # holds self._lock: only bump the counter and let another thread take the lock and
        # reload, so `systemctl reload` is applied and logged at once, not at the next request.
        self._wanted += 1
        threading.Thread(target=self._reload_pending, name="config-reload", daemon=True).start()

    def _reload_pending(self) -> None:
        with self._lock:
            if self._done != self._wanted:  # else another thread already did it
                self._reload_locked()
