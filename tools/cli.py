"""The greenfactory command line. Every error is a message and an exit code, never a traceback."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.config import Settings

from . import batch_cmd, compare_cmd, evaluate_cmd, impact_cmd, policy_cmd, service_cmd
from . import cohort_cmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="greenfactory", description="Green factory evaluation: policies, scoring, service.")
    parser.add_argument("--policies", type=Path, default=None,
                        help="folder of policies/<id>/<version>.yaml (default: $GF_POLICIES, else the bundled policies)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    policy_cmd.register(commands)
    evaluate_cmd.register(commands)
    compare_cmd.register(commands)
    batch_cmd.register(commands)
    impact_cmd.register(commands)
    service_cmd.register(commands)
    cohort_cmd.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # the same settings as the service: the environment, then what the command line says
    args.settings = Settings.from_env().updated({"policies_dir": args.policies} if args.policies else None)
    args.policies = args.settings.policies_dir
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: a message, never a traceback
        from service.db import SchemaNewer  # imported only here: most commands never open a database

        if isinstance(exc, SchemaNewer):  # a database migrated by a newer release, whatever the command
            print(f"greenfactory: {exc.code} {exc.message_zh}\ngreenfactory: {exc.code} {exc.message_en}",
                  file=sys.stderr)
            return 1
        print(f"greenfactory: internal error ({type(exc).__name__}); please report it with the command you ran.",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
