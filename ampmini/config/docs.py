"""Generated text: the example config file and the reference (``docs/config.md``)."""

from __future__ import annotations

from .keys import KEYS
from .model import SECTION_TYPES
from .sections import FREE_SECTIONS


def _wrap_comment(text: str, width: int = 98) -> list[str]:
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width and line != "#":
            lines.append(line)
            line = "#"
        line += " " + word
    lines.append(line)
    return lines


def render_example_config() -> str:
    """A config file with every key commented out at its default value."""
    out = [
        "# ampmini configuration. Every key is shown commented out with its default value;",
        "# uncomment and edit what you need. Reference: docs/config.md",
        "# Changes apply on save or `systemctl reload ampmini` (SIGHUP), except keys marked",
        "# (restart), which need a restart.",
    ]
    for section in SECTION_TYPES:
        out += ["", f"[{section}]"]
        for key in (k for (s, _), k in KEYS.items() if s == section):
            doc = key.doc + (" (restart)" if key.restart else "")
            out += _wrap_comment(doc)
            out.append(f"#{key.name} = {key.default}".rstrip())
    for free in FREE_SECTIONS.values():
        out += ["", *_wrap_comment(f"{free.syntax}. {free.doc}")]
        out.append(f"[{free.name}]" if free.header_in_example else f"#[{free.name}]")
        out += [f"#{line}" for line in free.example]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_reference_markdown() -> str:
    """The config reference (``docs/config.md``): every key, plus the free-form sections."""
    out = [
        "# ampmini configuration reference",
        "",
        "<!-- Generated from the key table in ampmini/config/keys.py by "
        "`python -m ampmini.config --markdown > docs/config.md`; do not edit by hand. -->",
        "",
        "ampmini reads one INI file: the `--config PATH` option, else `$AMPMINI_CONFIG`, else "
        "`$XDG_CONFIG_HOME/ampmini/ampmini.conf` (`~/.config/ampmini/ampmini.conf`) if it "
        "exists; with no file every key has its default. `python -m ampmini.config --example` "
        "prints a file with every key commented out at its default.",
        "",
        "Values are written `key = value`; a value may continue on indented lines. Paths expand "
        "`~` and `$VARIABLES` and must be absolute. Booleans are true/false, yes/no, on/off, "
        "1/0. An unknown section or key, a duplicate or a bad value stops the program with "
        "`FILE:LINE: [section] key: problem`.",
        "",
        "Saving the file (or `systemctl reload ampmini`, i.e. SIGHUP) applies it to the running "
        "server; if the new file has an error it is logged and the previous settings stay. "
        "Keys marked *restart* only take effect after a restart.",
        "",
        "## Keys",
        "",
        "| Section | Key | Type | Default | Applied | Meaning |",
        "|---|---|---|---|---|---|",
    ]
    for section in SECTION_TYPES:
        for key in (k for (s, _), k in KEYS.items() if s == section):
            default = f"`{key.default}`" if key.default else "(empty)"
            applied = "restart" if key.restart else "live"
            out.append(
                f"| `[{section}]` | `{key.name}` | {_cell(key.kind.name)} | {_cell(default)} | "
                f"{applied} | {_cell(key.doc)} |"
            )
    for free in FREE_SECTIONS.values():
        out += ["", f"## [{free.name}]", "", f"`{free.syntax}`", "", free.doc, ""]
        if free.name == "acl":
            out += [
                "Default rules (used only when the file has no `[acl]` section):",
                "",
                "```ini",
                "[acl]",
                *free.example,
                "```",
            ]
        else:
            out += ["```ini", f"[{free.name}]", *free.example, "```"]
    return "\n".join(out) + "\n"


DEFAULT_CONFIG_TEXT: str = render_example_config()
