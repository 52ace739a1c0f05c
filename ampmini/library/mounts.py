"""Which mount holds a path, from /proc/self/mountinfo: tells network and FUSE mounts apart."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

MOUNTINFO = Path("/proc/self/mountinfo")

# Filesystems whose files can change without this kernel seeing it (another machine, a FUSE
# daemon's backend), so inotify reports nothing for those changes: they must be polled.
# fuseblk (ntfs-3g, exfat-fuse on a USB disk) is a local block device: every change goes
# through this kernel's VFS, so inotify works there and it is deliberately not listed.
_REMOTE = frozenset((
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre",
    "davfs", "ncpfs", "coda", "virtiofs", "fuse",
))  # fmt: skip
_ESCAPE = re.compile(r"\\([0-7]{3})")


class Mount(NamedTuple):
    point: str  # where it is mounted
    fstype: str  # "ext4", "nfs4", "fuse.sshfs", …
    source: str  # device or "server:/export"


def parse_mountinfo(text: str) -> list[Mount]:
    """Mounts listed in mountinfo(5) text (fields after " - " are fstype, source, options)."""
    mounts = []
    for line in text.splitlines():
        head, sep, tail = line.partition(" - ")
        fields = head.split()
        rest = tail.split()
        if not sep or len(fields) < 5 or len(rest) < 2:
            continue
        mounts.append(Mount(_unescape(fields[4]), rest[0], _unescape(rest[1])))
    return mounts


def mount_of(path: str | Path, mountinfo: Path = MOUNTINFO) -> Mount | None:
    """The mount holding path (the longest mount point above its real path); None if unknown."""
    try:
        mounts = parse_mountinfo(mountinfo.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    real = os.path.realpath(path)
    best: Mount | None = None
    for mount in mounts:  # later lines over-mount earlier ones: ">=" keeps the last
        point = mount.point
        if (real == point or real.startswith(point.rstrip("/") + "/")) and (
            best is None or len(point) >= len(best.point)
        ):
            best = mount
    return best


def is_remote(fstype: str) -> bool:
    """A network or FUSE filesystem ("fuse.sshfs", "fuse.mergerfs", "nfs4", "cifs", …)."""
    return fstype in _REMOTE or fstype.startswith("fuse.")


def _unescape(text: str) -> str:
    # mountinfo writes space, tab, newline and backslash in paths as octal escapes ("\040").
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)
