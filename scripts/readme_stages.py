"""Keep README.md's list of supported Spark stages equal to the loader registry.

    python scripts/readme_stages.py          # rewrite the list in README.md
    python scripts/readme_stages.py --check  # exit 1 when README.md is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from servelib.loaders.registry import supported_classes  # noqa: E402

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- supported-stages:start.*?-->\n)(.*?)(<!-- supported-stages:end -->)", re.S)


def stages_markdown() -> str:
    return "".join(f"- `{name}`\n" for name in supported_classes())


def listed(text: str) -> list[str]:
    """The class names README.md lists between the markers."""
    match = BLOCK.search(text)
    if match is None:
        raise SystemExit("README.md has no <!-- supported-stages:start/end --> markers")
    return re.findall(r"^- `([^`]+)`", match.group(2), re.M)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = README.read_text()
    if args.check:
        if listed(text) != supported_classes():
            print("README.md's stage list is stale: run python scripts/readme_stages.py", file=sys.stderr)
            return 1
        return 0
    listed(text)  # markers present
    README.write_text(BLOCK.sub(lambda m: m.group(1) + stages_markdown() + m.group(3), text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
