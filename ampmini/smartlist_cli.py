"""`ampmini smartlist create|list|delete`: make smartlists without a web UI (issue 8).

    ampmini smartlist create NAME --rule FIELD,OPERATOR,VALUE [--rule …] [--any]
                             [--limit N] [--random] [--user NAME] [--public]
    ampmini smartlist list [--user NAME]
    ampmini smartlist delete ID        (ID or smart_ID)

Rules are advanced_search rules (spec §9): FIELD a song rule name, OPERATOR its index
(§9.3), VALUE the input (may contain commas). The lead wires this in with
`add_smartlist_commands(sub)` from cli.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from .accounts import find_user
from .api.errors import ApiError
from .config import ConfigHolder
from .db import Database, open_database

if TYPE_CHECKING:
    from .api.rules import Rule


def _open(args: argparse.Namespace) -> Database:
    holder = ConfigHolder(args.config)
    return open_database(holder.current.database.path)


def parse_rule(text: str) -> Rule:
    """`FIELD,OPERATOR,VALUE` → Rule; VALUE keeps any further commas."""
    # Imported here: every `ampmini` command builds this parser; only `smartlist` needs rules.
    from .api.rules import Rule

    parts = text.split(",", 2)
    if len(parts) < 2 or not parts[1].strip().lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"expected FIELD,OPERATOR,VALUE, got {text!r}")
    value = parts[2] if len(parts) > 2 else ""
    return Rule(parts[0].strip().lower(), int(parts[1]), value)


def _owner(db: Database, name: str | None) -> Any:
    conn = db.reader()
    if name:
        row = find_user(conn, name)
        if row is None:
            raise LookupError(f"no user {name!r}")
        return row
    row = conn.execute("SELECT * FROM user WHERE access >= 100 ORDER BY id LIMIT 1").fetchone()
    if row is None:
        raise LookupError("no admin user: pass --user NAME")
    return row


def cmd_create(args: argparse.Namespace) -> int:
    from .api.actions.smartlists import create_smartlist

    db = _open(args)
    try:
        owner = _owner(db, args.user)
        new_id = create_smartlist(
            db, int(owner["id"]), args.name, args.rule, match_any=args.any,
            limit=args.limit, random=args.random, public=args.public,
        )
    except (LookupError, ApiError) as err:
        message = err.message if isinstance(err, ApiError) else str(err)
        print(f"ampmini: {message}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(f"smart_{new_id}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    db = _open(args)
    try:
        sql = ("SELECT s.*, u.username FROM smartlist s JOIN user u ON u.id = s.user_id")
        values: list[Any] = []
        if args.user:
            sql += " WHERE u.username = ? COLLATE NOCASE"
            values.append(args.user)
        for row in db.reader().execute(sql + " ORDER BY s.id", values):
            rules = "; ".join(f"{n},{o},{v}" for n, o, v in json.loads(row["rules"]))
            extra = f" limit={row['item_limit']}" if row["item_limit"] else ""
            extra += " random" if row["random"] else ""
            print(f"smart_{row['id']:<5} {row['name']} ({row['username']}, {row['type']},"
                  f" {row['logic']}{extra}) {rules}")
    finally:
        db.close()
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    text = args.id.strip().lower().removeprefix("smart_")
    if not text.isdigit():
        print(f"ampmini: not a smartlist id: {args.id!r}", file=sys.stderr)
        return 2
    db = _open(args)
    try:
        with db.writer() as conn:
            gone = conn.execute("DELETE FROM smartlist WHERE id = ?", (int(text),)).rowcount
    finally:
        db.close()
    if not gone:
        print(f"ampmini: no smartlist {args.id}", file=sys.stderr)
        return 1
    return 0


def add_smartlist_commands(subparsers: Any) -> None:
    """Add `smartlist create|list|delete` to the `ampmini` argument parser."""
    smart = subparsers.add_parser("smartlist", help="create, list or delete smartlists")
    sub = smart.add_subparsers(dest="smartlist_command", required=True)

    create = sub.add_parser("create", help="save a search as a smartlist")
    create.add_argument("name")
    create.add_argument("--rule", type=parse_rule, action="append", required=True,
                        metavar="FIELD,OPERATOR,VALUE", help="a song search rule (repeatable)")
    create.add_argument("--any", action="store_true", help="match any rule (default: all)")
    create.add_argument("--limit", type=int, default=0, help="at most N songs (0 = all)")
    create.add_argument("--random", action="store_true", help="random order")
    create.add_argument("--user", help="owner (default: the first admin)")
    create.add_argument("--public", action="store_true", help="visible to every user")
    create.set_defaults(func=cmd_create)

    listing = sub.add_parser("list", help="list smartlists")
    listing.add_argument("--user", help="only this owner's")
    listing.set_defaults(func=cmd_list)

    delete = sub.add_parser("delete", help="delete a smartlist")
    delete.add_argument("id", help="smart_N or N")
    delete.set_defaults(func=cmd_delete)
