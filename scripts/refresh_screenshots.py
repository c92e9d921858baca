#!/usr/bin/env python3
"""Refresh the screenshots kept in docs/screenshots/ from the last browser-test run.

Only the names already kept in docs/ are refreshed (var/screenshots/ holds many more); each is
saved as a palette PNG, which keeps it small and still sharp. Prints what it did.
"""

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "screenshots"
TAKEN = ROOT / "var" / "screenshots"


def main() -> int:
    refreshed, missing = 0, []
    for kept in sorted(DOCS.glob("*.png")):
        fresh = TAKEN / kept.name
        if not fresh.exists():
            missing.append(kept.name)
            continue
        with Image.open(fresh) as image:
            palette = image.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT)
        palette.save(kept, optimize=True)
        refreshed += 1
        print(f"{kept.relative_to(ROOT)}: {kept.stat().st_size // 1024} KB")
    print(f"{refreshed} refreshed; not taken by the last run: {', '.join(missing) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
