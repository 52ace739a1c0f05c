"""The `ampmini` command: serve, scan and user administration; the composition root."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .accounts import (
    LEVELS,
    AccountError,
    UserChanges,
    add_user,
    check_delete,
    delete_user,
    edit_user,
    find_user,
    list_users,
    parse_catalog_list,
    remove_apikey,
    reset_apikey,
    set_password,
)
from .config import ConfigError, ConfigHolder
from .db import Database, open_database

log = logging.getLogger("ampmini")


def _setup_logging(level: str = "info") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _open(args: argparse.Namespace) -> tuple[ConfigHolder, Database]:
    holder = ConfigHolder(args.config)
    _setup_logging(holder.current.server.log_level)
    db = open_database(holder.current.database.path)
    return holder, db


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise AccountError("the passwords differ")
    return first


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import run_server

    holder, db = _open(args)
    return run_server(holder, db, scan_on_start=not args.no_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    from .catalogs import all_roots
    from .library.scanner import scan
    from .library.videos import scan_videos
    from .progress import ProgressReporter

    holder, db = _open(args)
    progress = ProgressReporter(None, "scan")
    result = scan(db, all_roots(db, holder.current), full=args.full, progress=progress)
    scan_videos(db)
    if not (sys.stdout.isatty() and sys.stderr.isatty()):
        # On a terminal the progress bar ends with this summary already; piped, say it here.
        print(
            f"scan: {result.seen} files, {result.added} added, {result.updated} updated, "
            f"{result.moved} moved, {result.removed} removed, {result.skipped} skipped "
            f"in {result.elapsed:.1f}s"
        )
    return 0


def cmd_adduser(args: argparse.Namespace) -> int:
    holder, db = _open(args)
    level = LEVELS["admin"] if args.admin else args.level
    password = _read_password(args)
    catalogs = parse_catalog_list(args.catalogs or "")
    add_user(db, args.name, password, access=level, email=args.email or "", catalogs=catalogs)
    print(f"user {args.name} created (level {level})")
    if args.apikey:
        if holder.current.source is None:
            raise ConfigError("--apikey needs a config file: pass --config FILE")
        key = reset_apikey(holder.current.source, args.name)
        print(f"API key for {args.name} (shown once): {key}")
    return 0


def cmd_deluser(args: argparse.Namespace) -> int:
    holder, db = _open(args)
    row = find_user(db.reader(), args.name)
    if row is None:
        raise AccountError(f"no user {args.name!r}")
    check_delete(db.reader(), row, None)
    # The key goes first: a config file that cannot be written leaves the user as it was.
    remove_apikey(holder.current.source, row["username"], holder.current.apikeys)
    delete_user(db, args.name)
    print(f"user {args.name} deleted")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    _holder, db = _open(args)
    set_password(db, args.name, _read_password(args))
    print(f"password of {args.name} changed")
    return 0


def cmd_usercatalogs(args: argparse.Namespace) -> int:
    _holder, db = _open(args)
    edit_user(db, args.name, UserChanges(catalogs=args.catalogs))
    print(f"catalogs of {args.name}: {args.catalogs}")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    _holder, db = _open(args)
    names = {v: k for k, v in LEVELS.items()}
    for user in list_users(db):
        state = " (disabled)" if user.disabled else ""
        level = names.get(user.access, str(user.access))
        print(f"{user.id:>4}  {user.username:<24} {level}{state}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ampmini", description="A small Ampache API server.")
    parser.add_argument("--version", action="version", version=f"ampmini {__version__}")
    parser.add_argument("--config", type=Path, help="config file (default: XDG or built-in)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--no-scan", action="store_true", help="skip the start-up scan")
    serve.set_defaults(func=cmd_serve)

    scan = sub.add_parser("scan", help="scan the library and exit")
    scan.add_argument("--full", action="store_true", help="re-read every file's tags")
    scan.set_defaults(func=cmd_scan)

    add = sub.add_parser("adduser", help="create a user")
    add.add_argument("name")
    level = add.add_mutually_exclusive_group()
    level.add_argument("--level", type=int, default=LEVELS["user"], help="access level 0-100")
    level.add_argument("--admin", action="store_true", help="level 100")
    add.add_argument("--email", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--apikey", action="store_true", help="generate an API key into the config")
    add.add_argument("--catalogs", default="", help="limit to these catalog ids: 1,2 (default all)")
    add.set_defaults(func=cmd_adduser)

    limit = sub.add_parser("usercatalogs", help="limit a user to some catalogs (ids, or all)")
    limit.add_argument("name")
    limit.add_argument("catalogs", help="catalog ids like 1,2 — or all")
    limit.set_defaults(func=cmd_usercatalogs)

    delete = sub.add_parser("deluser", help="delete a user")
    delete.add_argument("name")
    delete.set_defaults(func=cmd_deluser)

    passwd = sub.add_parser("passwd", help="change a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_passwd)

    users = sub.add_parser("users", help="list users")
    users.set_defaults(func=cmd_users)

    from .doctor import add_doctor_command
    from .playlist_cli import add_playlist_commands
    from .radio_cli import add_radio_commands
    from .smartlist_cli import add_smartlist_commands

    add_doctor_command(sub)
    add_smartlist_commands(sub)
    add_radio_commands(sub)
    add_playlist_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (AccountError, ConfigError) as err:
        print(f"ampmini: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    threading.current_thread().name = "main"
    sys.exit(main())
