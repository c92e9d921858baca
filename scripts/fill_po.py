#!/usr/bin/env python3
"""Fill the msgstr of a .po file from a JSON object {msgid: msgstr}.

Usage: scripts/fill_po.py path/to/django.po translations.json
Prints the msgids still without a translation.
"""

import json
import re
import sys
from pathlib import Path

ENTRY = re.compile(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', re.M)


def unquote(lines: str) -> str:
    raw = "".join(re.findall(r'"(.*)"', lines))
    return raw.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fill(po_text: str, translations: dict[str, str]) -> tuple[str, list[str]]:
    blocks, missing = [], []
    for block in po_text.split("\n\n"):
        match = ENTRY.search(block)
        msgid = unquote(match.group(1)) if match else ""
        if msgid and msgid in translations:
            end = "\n" if match.group(2).endswith("\n") else ""
            translated = quote(translations[msgid]) + end
            block = block[: match.start(2)] + translated + block[match.end(2) :]
            block = block.replace("#, fuzzy\n", "")
        elif msgid and not unquote(match.group(2)):
            missing.append(msgid)
        blocks.append(block)
    return "\n\n".join(blocks), missing


def main() -> None:
    po_path, json_path = Path(sys.argv[1]), Path(sys.argv[2])
    text, missing = fill(po_path.read_text("utf-8"), json.loads(json_path.read_text("utf-8")))
    po_path.write_text(text, "utf-8")
    print("untranslated:", missing)


if __name__ == "__main__":
    main()
