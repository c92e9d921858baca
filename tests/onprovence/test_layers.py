"""The apps' layers hold (docs/architecture.md): `lint-imports` checks the contracts of
pyproject.toml (an app imports only the apps below it; the kit's services never import its
tasks; each concern of the kit's services stands alone; the kit's documents touch no model).

It fails as soon as a lower app imports a higher one, e.g. `from ambassadors import keys` in a
campaigns module (tried: the layers contract reports "campaigns is not allowed to import
ambassadors").
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")

    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
