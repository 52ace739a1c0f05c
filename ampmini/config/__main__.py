"""``python -m ampmini.config``: print the reference or the example file, or check a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import ampmini.config as package

from .docs import DEFAULT_CONFIG_TEXT, render_reference_markdown
from .errors import ConfigError
from .loader import load_config


def main(argv: list[str] | None = None) -> int:
    """``python -m ampmini.config``: print the reference or example, or check a file."""
    parser = argparse.ArgumentParser(prog="python -m ampmini.config", description=package.__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--markdown", action="store_true", help="print docs/config.md")
    group.add_argument("--example", action="store_true", help="print an example config file")
    group.add_argument("--check", type=Path, metavar="FILE", help="load FILE, report errors")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(render_reference_markdown())
    elif args.example:
        sys.stdout.write(DEFAULT_CONFIG_TEXT)
    else:
        try:
            config = load_config(args.check)
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"{config.source}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
