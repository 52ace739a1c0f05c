"""Drive MPD (the Pi's own speakers) for `localplay`: one connection, short timeouts, reconnects.

python-mpd2 is an optional extra (`pip install 'ampmini[mpd]'`), imported only when a
controller is used. One `MpdController` per MPD address holds one client connection, shared by
the worker threads under a lock (an MPD connection is a sequential protocol). Every wait — for
the lock, the TCP connect, each answer — is bounded by `[localplay] timeout`, so a dead, slow
or restarted MPD costs a request a few seconds and a clear 4710, never a hung worker.
A connection found dead on use (MPD restarted, or MPD's own idle timeout closed it) is
replaced once, transparently.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .config import LocalplayConfig

log = logging.getLogger("ampmini.localplay")

T = TypeVar("T")


class LocalplayError(Exception):
    """MPD cannot be used right now (not configured, not running, too slow, wrong password)."""


class NoControllerError(LocalplayError):
    """No `[localplay] host`: there is nothing to drive."""


class MpdRefusedError(Exception):
    """MPD answered, but refused the command (an `ACK` line): the reason is MPD's."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where MPD listens and how to log in; the key of the controller registry."""

    host: str
    port: int
    timeout: float
    password: str = field(default="", repr=False)

    @property
    def where(self) -> str:
        return self.host if self.host.startswith(("/", "@")) else f"{self.host}:{self.port}"


def _mpd_module() -> Any:
    try:
        import mpd  # optional extra: imported on first use
    except ImportError:
        raise LocalplayError(
            "python-mpd2 is not installed (pip install 'ampmini[mpd]')"
        ) from None
    return mpd


def _reason(error: BaseException, target: Target) -> str:
    """A sentence for the 4710 message and the log: what went wrong, in MPD's terms."""
    where = target.where
    if isinstance(error, TimeoutError):
        return f"MPD at {where} did not answer within {target.timeout:g}s"
    if isinstance(error, ConnectionRefusedError):
        return f"MPD is not running at {where} (connection refused)"
    if isinstance(error, FileNotFoundError):
        return f"MPD socket {where} does not exist (is MPD running?)"
    if isinstance(error, OSError):
        return f"cannot reach MPD at {where}: {error.strerror or error}"
    return f"lost the connection to MPD at {where}: {error}"


class MpdController:
    """One MPD, one connection, used by one request at a time."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._client: Any = None
        self._unmuted_volume: int | None = None  # volume_mute toggles back to this

    # ------------------------------------------------------------------ connection

    def _connect(self) -> Any:
        mpd = _mpd_module()
        client = mpd.MPDClient()
        client.timeout = self.target.timeout
        client.idletimeout = None
        client.connect(self.target.host, self.target.port)
        if self.target.password:
            try:
                client.password(self.target.password)
            except mpd.CommandError:
                client.disconnect()
                raise LocalplayError(
                    f"MPD at {self.target.where} refused the password in [localplay]"
                ) from None
        log.info("connected to MPD %s at %s", client.mpd_version, self.target.where)
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            # The socket is already unusable: closing it is best effort.
            with contextlib.suppress(Exception):
                client.disconnect()

    def run(self, work: Callable[[Any], T]) -> T:
        """`work(client)` on a live connection; MPD errors become the two exceptions above."""
        mpd = _mpd_module()
        if not self._lock.acquire(timeout=self.target.timeout):
            raise LocalplayError(f"MPD at {self.target.where} is busy with another request")
        try:
            for attempt in (1, 2):
                fresh = self._client is None
                try:
                    if fresh:
                        self._client = self._connect()
                    return work(self._client)
                except mpd.CommandError as error:
                    raise MpdRefusedError(_ack_text(error)) from None
                except TimeoutError as error:
                    # Not retried: the command may have run; the connection is out of step.
                    self._drop()
                    raise LocalplayError(_reason(error, self.target)) from None
                except (mpd.ConnectionError, mpd.ProtocolError, OSError) as error:
                    self._drop()
                    # A connection that was fine before and fails now was closed by MPD
                    # (restart, idle timeout): one fresh attempt. A fresh one failing is final.
                    if fresh or attempt == 2:
                        log.warning("localplay: %s", _reason(error, self.target))
                        raise LocalplayError(_reason(error, self.target)) from None
            raise AssertionError("unreachable")
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._drop()

    # ------------------------------------------------------------------ commands

    def status(self) -> tuple[dict[str, str], dict[str, str]]:
        """MPD's `status` and `currentsong` (empty when nothing is current)."""
        return self.run(lambda c: (c.status(), c.currentsong()))

    def queue(self) -> list[dict[str, Any]]:
        """MPD's queue (`playlistinfo`), in order."""
        return self.run(lambda c: c.playlistinfo())

    def simple(self, command: str) -> None:
        """One of next, previous, stop, play, clear: no arguments, no answer."""
        if command not in {"next", "previous", "stop", "play", "clear"}:
            raise ValueError(command)
        self.run(lambda c: getattr(c, command)())

    def pause(self) -> None:
        """Toggle pause, as Ampache's MPD controller does; refused when nothing is playing."""

        def toggle(client: Any) -> None:
            state = client.status().get("state")
            if state == "stop":
                raise _refusal("nothing is playing")
            client.pause(1 if state == "play" else 0)

        self.run(toggle)

    def change_volume(self, delta: int) -> int:
        """Volume ± delta, kept within 0–100; the new volume."""

        def change(client: Any) -> int:
            volume = _volume(client)
            new = max(0, min(100, volume + delta))
            client.setvol(new)
            return new

        return self.run(change)

    def mute(self) -> int:
        """Volume 0, remembering the old one; when already at 0, back to the remembered one."""

        def toggle(client: Any) -> int:
            volume = _volume(client)
            if volume > 0:
                self._unmuted_volume = volume
                new = 0
            else:
                new = self._unmuted_volume or 50
                self._unmuted_volume = None
            client.setvol(new)
            return new

        return self.run(toggle)

    def skip(self, position: int) -> None:
        """Play queue entry `position` (0-based); IndexError when the queue is shorter."""

        def jump(client: Any) -> None:
            length = int(client.status().get("playlistlength", 0))
            if not 0 <= position < length:
                raise IndexError(position)
            client.play(position)

        self.run(jump)

    def add(self, items: Sequence[Sequence[str]], *, clear: bool) -> None:
        """Append each item, trying its URIs in order (a music-directory path, then a URL):
        MPD only knows a path once its own database has scanned the file."""
        mpd = _mpd_module()

        def append(client: Any) -> None:
            if clear:
                client.clear()
            for candidates in items:
                for i, uri in enumerate(candidates):
                    try:
                        client.add(uri)
                        break
                    except mpd.CommandError as error:
                        if i == len(candidates) - 1:
                            raise
                        log.info("MPD cannot add %r (%s); trying the stream URL", uri,
                                 _ack_text(error))

        self.run(append)

    def check(self) -> dict[str, str]:
        """MPD's `stats`: a cheap round trip for `ampmini doctor`."""
        return self.run(lambda c: c.stats())

    def knows_path(self, relative: str) -> bool:
        """Whether MPD's database has the file at `relative` (music-directory mapping check)."""

        def look(client: Any) -> bool:
            mpd = _mpd_module()
            try:
                return bool(client.find("file", relative))
            except mpd.CommandError:
                return False

        return self.run(look)


def _volume(client: Any) -> int:
    volume = int(client.status().get("volume", -1))
    if volume < 0:
        raise _refusal("MPD has no volume control (no mixer on its audio output)")
    return volume


def _refusal(text: str) -> Exception:
    return MpdRefusedError(text)


def _ack_text(error: BaseException) -> str:
    """`[50@0] {add} No such directory` → `No such directory`."""
    text = str(error)
    return text.split("} ", 1)[1] if "} " in text else text


# ---------------------------------------------------------------------- registry

_CONTROLLERS: dict[Target, MpdController] = {}
_REGISTRY_LOCK = threading.Lock()


def controller_for(config: LocalplayConfig) -> MpdController:
    """The controller of the configured MPD (one per address, kept across requests and
    config reloads that do not change it); NoControllerError when none is configured."""
    if not config.host:
        raise NoControllerError("no controller: set [localplay] host to MPD's address")
    target = Target(config.host, config.port, float(config.timeout), config.password)
    with _REGISTRY_LOCK:
        found = _CONTROLLERS.get(target)
        if found is not None:
            return found
        # The config now names another MPD: let go of the old connections.
        stale = list(_CONTROLLERS.values())
        _CONTROLLERS.clear()
        found = _CONTROLLERS[target] = MpdController(target)
    for old in stale:
        old.close()
    return found


def doctor(config: LocalplayConfig, sample_song_path: str | None = None) -> list[str]:
    """Lines for `ampmini doctor`: can MPD be reached, and does the path mapping hold
    (MPD's database knows `sample_song_path`, an absolute path of a scanned song)?"""
    if not config.host:
        return ["localplay: not configured ([localplay] host is empty)"]
    try:
        stats = controller_for(config).check()
    except (LocalplayError, MpdRefusedError) as error:
        return [f"localplay: FAIL {error}"]
    songs = stats.get("songs", "?")
    lines = [f"localplay: OK MPD at {config.host} ({songs} songs in its database)"]
    root = config.music_directory
    if root is None:
        lines.append("localplay: music_directory not set: songs are added by stream URL")
        return lines
    if not root.is_dir():
        lines.append(f"localplay: FAIL music_directory {root} is not a folder")
        return lines
    if sample_song_path:
        try:
            relative = Path(sample_song_path).relative_to(root).as_posix()
        except ValueError:
            lines.append(f"localplay: note: {sample_song_path} is outside music_directory")
            return lines
        try:
            known = controller_for(config).knows_path(relative)
        except (LocalplayError, MpdRefusedError) as error:
            return [*lines, f"localplay: FAIL {error}"]
        lines.append(
            f"localplay: OK MPD knows {relative}" if known else
            f"localplay: FAIL MPD does not know {relative}: does its music_directory match "
            f"{root}, and has it run `mpc update`? (such songs are added by stream URL)"
        )
    return lines
