"""The ``lerobot-videobench`` command: a thin layer over the library, one module per subcommand in
:mod:`lerobot_videobench.commands` (each has ``register(subparsers)``)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from .errors import EXIT_BAD_INPUT, VideobenchError

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
    "cache",
)


class _VersionAction(argparse.Action):
    """``--version``: this package's installed version and the encoder build it measures with."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from . import __version__
        from .encoding.pyav_probe import library_versions

        libs = library_versions()
        print(f"lerobot-videobench {__version__} (PyAV {libs.get('pyav')}, FFmpeg {libs.get('ffmpeg')})")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lerobot-videobench",
        description="Measure how LeRobot camera-encoder settings trade size, fidelity and speed.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    parser.add_argument("--version", action=_VersionAction, help="print the version (and PyAV/FFmpeg's) and exit")
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
    except BrokenPipeError:
        # Output piped into `head`: the reader left; not an error of ours. Silence the flush at exit.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaced for the interpreter's final flush
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (VideobenchError, ValueError, OSError) as exc:
        # Expected failures (bad input, a missing file, a full or read-only disk): one line, no traceback.
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (multi-line messages joined), never empty."""
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
