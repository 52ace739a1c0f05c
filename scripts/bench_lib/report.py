"""The bench's result rows and their markdown table."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One figure: ampmini's value, the same-run baseline, their ratio, the target and verdict."""

    figure: str
    ampmini: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    result: str = "info"  # PASS | FAIL | n/a | info


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base > 0 else "—"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def machine_line() -> str:
    return (f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} "
            f"{platform.release()}; Python {sys.version.split()[0]}")


def table(rows: list[Row]) -> str:
    head = "| figure | ampmini | baseline (same run) | ratio | target | result |"
    lines = [head, "|---|---|---|---|---|---|"]
    for r in rows:
        cells = (r.figure, r.ampmini, r.baseline, r.ratio, r.target, r.result)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
