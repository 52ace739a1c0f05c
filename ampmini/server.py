"""A running ampmini: the WSGI server, the start-up scan, periodic re-scans, config reload."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from .api.dispatch import Server
from .app import make_app
from .config import ConfigHolder
from .db import Database

log = logging.getLogger("ampmini")


class Background:
    """Library upkeep off the request path: one scan thread, a timer, config polling."""

    def __init__(self, server: Server, holder: ConfigHolder) -> None:
        self.server = server
        self.holder = holder
        self.stop = threading.Event()
        self.scan_requested = threading.Event()
        self.scans_completed = 0
        self._threads: list[threading.Thread] = []
        self.watcher: Any = None  # library.watcher.Watcher while [library] watch is on
        self._folders: set[Path] = set()  # request_scan() folders for the scan loop
        self._folders_lock = threading.Lock()
        self._full_requested = False
        self.podcasts: Any = None  # podcasts.Refresher: feed refresh and episode downloads
        self.watch_ready = threading.Event()  # set once the watcher has its watches (or failed)

    def start(self, *, scan_on_start: bool) -> None:
        if scan_on_start:
            self._full_requested = True
            self.scan_requested.set()
        for target, name in ((self._scan_loop, "scanner"), (self._config_loop, "config")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.holder.current.library.watch:
            # Adding an inotify watch per folder takes a while on a big library; the server
            # answers meanwhile (start to first ping stays under a second).
            thread = threading.Thread(target=self._start_watcher, name="watch-setup",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        from .podcasts import start_background

        self.podcasts = start_background(self.server.db, self.holder)

    def _start_watcher(self) -> None:
        from .catalogs import all_roots
        from .library.watcher import Watcher

        db = self.server.db
        # Periodic full re-scans stay with the scan loop (rescan_interval), so the watcher
        # only handles events, polled roots and request_scan().
        watcher = Watcher(db, lambda: all_roots(db, self.holder.current))
        try:
            watcher.start()
        except Exception:
            log.exception("cannot start the library watcher; changes need a re-scan")
        else:
            self.watcher = watcher
            if self.stop.is_set():  # closed while the watches were being added
                self.watcher = None
                watcher.stop()
        finally:
            self.watch_ready.set()

    def request_scan(self, folder: Path) -> None:
        """Re-scan folder soon (e.g. /play found a file gone), via the watcher if it runs."""
        if self.watcher is not None:
            self.watcher.request(folder)
            return
        with self._folders_lock:
            self._folders.add(Path(folder))
        self.scan_requested.set()

    def _scan_loop(self) -> None:
        from .catalogs import all_roots
        from .library.scanner import scan
        from .progress import ProgressReporter

        while not self.stop.is_set():
            interval = self.holder.current.library.rescan_interval or None
            woken = self.scan_requested.wait(timeout=interval) and not self._full_requested
            self._full_requested = False
            if self.stop.is_set():
                return
            self.scan_requested.clear()
            with self._folders_lock:
                # Woken only by request_scan(): just those folders; else (start, timer) all.
                folders = list(self._folders) if self._folders and woken else None
                self._folders.clear()
            try:
                if folders is None:
                    self._full_scan_in_child()
                else:
                    # Progress goes to the log: a server's stderr is the journal, not a TTY.
                    progress = ProgressReporter(None, "scan")
                    roots = all_roots(self.server.db, self.holder.current)
                    scan(self.server.db, roots, progress=progress, folders=folders)
            except Exception:
                log.exception("scan failed")
            self.scans_completed += 1

    def _full_scan_in_child(self) -> None:
        """A whole-library scan runs as `ampmini scan` in a child process.

        Reading 30k files builds tens of MB of Python objects that the server process would
        keep as RSS for good; the child returns them to the OS when it exits. SQLite (WAL,
        busy timeout) lets it write while this process keeps answering.
        """
        command = [sys.executable, "-m", "ampmini.cli"]
        source = self.holder.current.source
        if source is not None:
            command += ["--config", str(source)]
        child = subprocess.run([*command, "scan"], stdout=subprocess.DEVNULL, check=False)
        if child.returncode != 0:
            log.error("library scan exited with status %d", child.returncode)

    def _config_loop(self) -> None:
        while not self.stop.wait(2.0):
            try:
                if self.holder.reload_if_changed():
                    level = self.holder.current.server.log_level.upper()
                    logging.getLogger().setLevel(getattr(logging, level, logging.INFO))
            except Exception:
                log.exception("config reload failed")

    def close(self) -> None:
        self.stop.set()
        self.scan_requested.set()
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()
        podcasts, self.podcasts = self.podcasts, None
        if podcasts is not None:
            podcasts.close()


def build(holder: ConfigHolder, db: Database) -> tuple[Server, Any]:
    """The dispatch server and its WSGI app, with the media handlers wired in."""
    from .api.actions.democratic import next_democratic_song
    from .api.actions.nowplaying import record_now_playing
    from .media import MEDIA_HANDLERS

    server = Server(db=db, config_source=holder)
    # Hooks the /play handler calls: what plays now, and the democratic queue.
    server.services["now_playing"] = record_now_playing
    server.services["democratic_next"] = lambda db: next_democratic_song(db, holder.current)
    return server, make_app(server, MEDIA_HANDLERS)


def run_server(holder: ConfigHolder, db: Database, *, scan_on_start: bool = True) -> int:
    from .sendfile import create_server

    server, app = build(holder, db)
    background = Background(server, holder)
    server.services["background"] = background
    config = holder.current
    waitress_options: dict[str, Any] = {
        "host": config.server.host,
        "port": config.server.port,
        "threads": config.server.threads,
        "ident": "ampmini",
        # A transcode is piped through the channel's output buffer: kept small, ffmpeg is
        # paced by the client and stopped soon after it leaves, and nothing spills to a
        # temp file on the SD card. File bodies bypass this buffer (sendfile).
        "outbuf_high_watermark": 256 * 1024,
    }
    if config.server.trusted_proxy:
        waitress_options["trusted_proxy"] = config.server.trusted_proxy
        waitress_options["trusted_proxy_headers"] = {"x-forwarded-for", "x-forwarded-proto",
                                                     "x-forwarded-host"}
    try:
        wsgi = create_server(app, **waitress_options)
    except OSError as err:
        # Most often another ampmini (or anything) already listens there: say so plainly.
        print(f"ampmini: cannot listen on {config.server.host}:{config.server.port}: "
              f"{err.strerror or err} (change [server] port, or stop what uses it)",
              file=sys.stderr)
        return 1
    holder.install_sighup()
    background.start(scan_on_start=scan_on_start)

    def stop(_signum: int, _frame: Any) -> None:
        background.close()
        wsgi.close()

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "ampmini listening on http://%s:%s (library: %s)",
        config.server.host, wsgi.effective_port if hasattr(wsgi, "effective_port") else "?",
        ", ".join(str(r) for r in config.library.roots),
    )
    try:
        wsgi.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        background.close()
        db.close()
    return 0
