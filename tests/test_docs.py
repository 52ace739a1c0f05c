"""The README and docs cannot drift from the code: config keys and action coverage."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_readme_generated_sections_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "update_readme.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_names_both_setup_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "scripts/demo" in readme
    assert "scripts/test" in readme
    assert "scripts/test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_every_registered_action_is_in_the_coverage_table() -> None:
    import ampmini.api.dispatch  # noqa: F401
    from ampmini.api.registry import ACTIONS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sys.path.insert(0, str(REPO / "scripts"))
    from update_readme import API6_ACTIONS

    extra = {"search"}  # `search` is listed; aliases like catalog_create are listed too
    for name in ACTIONS:
        if name in API6_ACTIONS or name in extra:
            assert f"| `{name}` | done |" in readme, name
