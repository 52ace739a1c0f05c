"""`ampmini doctor`: check the things that quietly break a Pi music server, each with its fix.

Checks: library roots readable; inotify watch/instance limits against the folders to watch;
roots on network/FUSE mounts (no inotify there); the database on FAT/exFAT (SQLite's WAL needs
locking and shared memory those file systems do not give) or on a network mount; permissions of
the database and config (they hold password digests and API keys); ACL rules that allow nothing
or everybody; ffmpeg; MPD and its path mapping when `[localplay]` names one; a clock stuck
before 2020 (a Pi has no RTC: handshakes carry a timestamp and fail on a wrong clock).
Nothing is changed; exit status 1 when anything fails.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import sqlite3
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .library.mounts import is_remote, mount_of

if TYPE_CHECKING:
    from .config import Config

OK, WARN, FAIL = "ok", "warn", "fail"

# File systems SQLite's WAL mode cannot rely on (no POSIX locks / shared-memory mmap).
FAT_TYPES = frozenset({"vfat", "msdos", "fat", "exfat", "umsdos"})
_SYSCTL_FIX = (
    "echo fs.inotify.{key}={value} | sudo tee /etc/sysctl.d/60-ampmini.conf && sudo sysctl --system"
)
_MIN_YEAR = 2020


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's outcome: level ok/warn/fail, what was found, and how to fix it."""

    level: str
    what: str
    fix: str = ""


def _existing(path: Path) -> Path:
    """`path`, or its nearest existing ancestor (the database may not exist yet)."""
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


# ------------------------------------------------------------------ checks


def check_roots(config: Config) -> Iterator[Finding]:
    for root in config.library.roots:
        if not root.exists():
            yield Finding(
                FAIL,
                f"library root {root} does not exist",
                "create it, mount the disk, or fix [library] roots in the config",
            )
        elif not root.is_dir():
            yield Finding(FAIL, f"library root {root} is not a folder", "fix [library] roots")
        elif not os.access(root, os.R_OK | os.X_OK):
            yield Finding(
                FAIL,
                f"library root {root} is not readable by this user",
                f"sudo chmod -R a+rX '{root}' (or add this user to the owning group)",
            )
        else:
            yield Finding(OK, f"library root {root} is readable")


def count_folders(roots: list[Path], stop_after: int | None = None) -> int:
    """Folders a watcher would watch: every non-hidden folder under the roots (no symlinks)."""
    count = 0
    stack = [str(r) for r in roots if r.is_dir()]
    while stack:
        folder = stack.pop()
        count += 1
        if stop_after is not None and count > stop_after:
            return count
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return count


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def check_inotify(config: Config, proc: Path) -> Iterator[Finding]:
    roots = [r for r in config.library.roots if r.is_dir()]
    if not config.library.watch:
        yield Finding(
            OK,
            "folder watching is off ([library] watch = false); changes appear at the next rescan",
        )
        return
    local = []
    for root in roots:
        # The watcher's own test (library.mounts): where it polls, doctor says so.
        mount = mount_of(root, proc / "self" / "mountinfo")
        if mount is not None and is_remote(mount.fstype):
            if config.library.rescan_interval:
                yield Finding(
                    OK,
                    f"{root} is on {mount.fstype}: no change events there, it is "
                    f"rescanned every {config.library.rescan_interval} s",
                )
            else:
                yield Finding(
                    WARN,
                    f"{root} is on {mount.fstype}: no change events there and "
                    "periodic rescans are off, so changes are never seen",
                    "set [library] rescan_interval (e.g. 3600) in the config",
                )
        else:
            local.append(root)
    watches = _read_int(proc / "sys" / "fs" / "inotify" / "max_user_watches")
    instances = _read_int(proc / "sys" / "fs" / "inotify" / "max_user_instances")
    if watches is None or instances is None:
        yield Finding(
            WARN,
            "cannot read the inotify limits (not Linux?); watching may not work",
            "set [library] rescan_interval so periodic rescans catch changes",
        )
        return
    folders = count_folders(local, stop_after=watches * 2)
    suggested = max(524288, 1 << (folders * 2).bit_length())
    if folders > watches:
        yield Finding(
            FAIL,
            f"{folders} folders to watch but fs.inotify.max_user_watches is "
            f"{watches}: watching falls back to slow periodic rescans",
            _SYSCTL_FIX.format(key="max_user_watches", value=suggested),
        )
    elif folders > watches * 0.8:
        yield Finding(
            WARN,
            f"{folders} folders use most of fs.inotify.max_user_watches "
            f"({watches}); other programs need watches too",
            _SYSCTL_FIX.format(key="max_user_watches", value=suggested),
        )
    else:
        yield Finding(OK, f"{folders} folders to watch, fs.inotify.max_user_watches = {watches}")
    # One inotify instance per watched root, plus a few for other programs of this user.
    if len(local) + 4 > instances:
        yield Finding(
            WARN,
            f"fs.inotify.max_user_instances is {instances} for {len(local)} "
            "roots: watching may fail to start",
            _SYSCTL_FIX.format(key="max_user_instances", value=max(128, instances * 2)),
        )
    else:
        yield Finding(OK, f"fs.inotify.max_user_instances = {instances}")


def check_database_fs(config: Config, proc: Path) -> Iterator[Finding]:
    db = config.database.path
    where = os.path.realpath(_existing(db))
    mount = mount_of(where, proc / "self" / "mountinfo")
    if mount is None:
        yield Finding(
            WARN,
            f"cannot tell which file system holds {db}",
            "make sure it is a local ext4/btrfs/f2fs disk, not FAT or a network share",
        )
        return
    fix = (
        "put [database] path on a local Linux file system (the SD card, or a disk "
        "formatted ext4), e.g. ~/.local/share/ampmini/ampmini.db; the music may stay where "
        "it is"
    )
    if mount.fstype in FAT_TYPES or mount.fstype == "fuseblk":
        kind = "FAT/exFAT" if mount.fstype in FAT_TYPES else "a FUSE block device (NTFS/exFAT)"
        yield Finding(
            FAIL,
            f"the database {db} is on {kind} ({mount.fstype} at {mount.point}): "
            "SQLite's write-ahead log corrupts there",
            fix,
        )
    elif is_remote(mount.fstype):
        yield Finding(
            FAIL,
            f"the database {db} is on a network/FUSE mount ({mount.fstype} at "
            f"{mount.point}): SQLite's locking and WAL do not work there",
            fix,
        )
    else:
        yield Finding(OK, f"the database is on {mount.fstype} ({mount.point})")


def _mode_finding(path: Path, what: str) -> Finding:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        return Finding(WARN, f"cannot check {what} {path}: {exc.strerror}")
    fix = f"chmod 600 '{path}'"
    if mode & stat.S_IWOTH:
        return Finding(FAIL, f"{what} {path} is writable by every user (mode {mode:o})", fix)
    if mode & stat.S_IROTH:
        return Finding(
            WARN,
            f"{what} {path} is readable by every user (mode {mode:o}); it holds "
            "password digests and API keys",
            fix,
        )
    return Finding(OK, f"{what} {path} is private (mode {mode:o})")


def check_permissions(config: Config) -> Iterator[Finding]:
    db = config.database.path
    if db.exists():
        yield _mode_finding(db, "the database")
        for suffix in ("-wal", "-shm"):
            side = db.with_name(db.name + suffix)
            if side.exists():
                finding = _mode_finding(side, "the database journal")
                if finding.level != OK:
                    yield finding
    else:
        yield Finding(OK, f"the database {db} does not exist yet (created on first start)")
    if config.source is None:
        yield Finding(OK, "no config file: built-in defaults")
    elif config.source.exists():
        yield _mode_finding(config.source, "the config file")


def _is_everyone(rule: Any) -> bool:
    network = ipaddress.ip_network("0.0.0.0/0" if rule.start.version == 4 else "::/0")
    return rule.start == network[0] and rule.end == network[-1]


def check_acl(config: Config) -> Iterator[Finding]:
    rules = config.acl.rules
    api_rules = [r for r in rules if r.covers("rpc")]
    if not api_rules:
        yield Finding(
            FAIL,
            "no [acl] rule allows the API (rpc): every client is refused",
            "add e.g. `lan = 192.168.0.0/16 all 100` to [acl]",
        )
    everyone = [r for r in rules if _is_everyone(r) and r.level >= 25]
    for rule in everyone:
        yield Finding(
            WARN,
            f"[acl] {rule.name} lets every address on the internet in "
            f"({rule.access}, level {rule.level})",
            "limit it to your network, e.g. 192.168.0.0/16, unless the server is "
            "meant to be public (then keep passwords strong)",
        )
    if api_rules and not everyone:
        yield Finding(OK, f"{len(rules)} [acl] rules; none open to everyone")


def check_ffmpeg(config: Config, which: Callable[[str], str | None]) -> Iterator[Finding]:
    command = config.transcode.ffmpeg
    found = command if os.path.isabs(command) and os.access(command, os.X_OK) else which(command)
    if found:
        yield Finding(OK, f"ffmpeg found: {found}")
    else:
        yield Finding(
            WARN,
            f"ffmpeg ({command}) not found: no transcoding, files that a client "
            "cannot play are sent as they are",
            "sudo apt install ffmpeg (or set [transcode] ffmpeg to its path)",
        )


def check_clock(now: float) -> Iterator[Finding]:
    year = time.gmtime(now).tm_year
    if year < _MIN_YEAR:
        yield Finding(
            WARN,
            f"the clock says {time.strftime('%Y-%m-%d', time.gmtime(now))}: "
            "client logins carry a timestamp and will be refused",
            "enable time sync: sudo timedatectl set-ntp true (a Pi has no "
            "battery clock and needs the network for the time)",
        )
    else:
        yield Finding(OK, f"the clock looks sane ({time.strftime('%Y-%m-%d', time.gmtime(now))})")


def _sample_song(db_path: Path) -> str | None:
    """Any scanned song's path (for the MPD path-mapping check), read-only; None if none yet."""
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT path FROM song ORDER BY id LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # no schema yet: the mapping check is skipped, the connection still checked
    return row[0] if row else None


def check_localplay(config: Config) -> Iterator[Finding]:
    """MPD reachable and its music_directory matching ours (issue 12), when one is configured."""
    if not config.localplay.host:
        return
    from .localplay import doctor as localplay_doctor  # python-mpd2 only when MPD is configured

    for line in localplay_doctor(config.localplay, _sample_song(config.database.path)):
        what = line.removeprefix("localplay: ")
        if "FAIL" in what:
            yield Finding(
                FAIL,
                f"MPD: {what.replace('FAIL ', '', 1)}",
                "start MPD (sudo systemctl start mpd) and check [localplay] host, port, password "
                "and music_directory",
            )
        else:
            yield Finding(OK, f"MPD: {what.replace('OK ', '', 1)}")


def run_doctor(
    config: Config,
    *,
    proc: Path = Path("/proc"),
    now: float | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[Finding]:
    """Every check, in reading order. `proc`, `now` and `which` exist for tests."""
    findings: list[Finding] = []
    findings += check_roots(config)
    findings += check_inotify(config, proc)
    findings += check_database_fs(config, proc)
    findings += check_permissions(config)
    findings += check_acl(config)
    findings += check_ffmpeg(config, which)
    findings += check_localplay(config)
    findings += check_clock(time.time() if now is None else now)
    return findings


# ------------------------------------------------------------------ command line

_LABEL = {OK: " ok ", WARN: "WARN", FAIL: "FAIL"}
_COLOUR = {OK: "32", WARN: "33", FAIL: "31"}


def format_findings(findings: list[Finding], *, colour: bool = False) -> str:
    lines = []
    for f in findings:
        label = _LABEL[f.level]
        if colour:
            label = f"\x1b[{_COLOUR[f.level]}m{label}\x1b[0m"
        lines.append(f"[{label}] {f.what}")
        if f.fix:
            lines.append(f"       fix: {f.fix}")
    fails = sum(f.level == FAIL for f in findings)
    warns = sum(f.level == WARN for f in findings)
    lines.append(f"{len(findings)} checks: {fails} failed, {warns} warnings")
    return "\n".join(lines) + "\n"


def cmd_doctor(args: argparse.Namespace) -> int:
    from .config import load_config

    findings = run_doctor(load_config(args.config))
    sys.stdout.write(format_findings(findings, colour=sys.stdout.isatty()))
    return 1 if any(f.level == FAIL for f in findings) else 0


def add_doctor_command(subparsers: Any) -> None:
    """Register `ampmini doctor` on the cli's subparsers (the `--config` option is global)."""
    doctor = subparsers.add_parser("doctor", help="check the setup for common problems")
    doctor.set_defaults(func=cmd_doctor)
