"""The ``lerobot-videobench`` command: a thin layer over the library, one module per subcommand in
:mod:`lerobot_videobench.commands` (each has ``register(subparsers)``)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

#: Subcommands in the order ``--help`` lists them; each is ``lerobot_videobench.commands.<name>``.
COMMANDS: tuple[str, ...] = (
    "probe",
    "inspect",
    "sweep",
    "pareto",
    "recommend",
    "search",
    "compare",
    "realtime",
    "export",
    "health",
    "report",
    "demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lerobot-videobench",
        description="Measure how LeRobot camera-encoder settings trade size, fidelity and speed.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"lerobot_videobench.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
