"""`python -m bench [NAME...]`: run every benchmark (or the named ones) and print their tables."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("cli_speed", "tui_startup", "import_speed")


def main(argv: list[str]) -> int:
    for name in argv or BENCHMARKS:
        print(f"\n== bench.{name}")
        module = importlib.import_module(f"bench.{name}")
        module.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
