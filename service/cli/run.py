"""The parser (global options overlay the settings) and `main`, the one place a user error becomes one line."""

import argparse
import sys
from collections.abc import Sequence

from factdesk.index.embed import ENCODERS
from factdesk.index.errors import FactdeskError
from factdesk.index.settings import Settings
from factdesk.index.stance import STANCE_MODES
from factdesk.index.verdict import CALIBRATIONS
from factdesk.service.cli import checking, corpus, server, training
from factdesk.service.cli.common import calibration, level, overlay, setting_option

# in the order `factdesk --help` lists them
COMMANDS = (
    corpus.add_ingest,
    checking.add_check,
    checking.add_check_doc,
    server.add_serve,
    checking.add_search,
    corpus.add_stats,
    corpus.add_delete,
    corpus.add_reindex,
    corpus.add_rescore,
    server.add_keys,
    server.add_config_docs,
    training.add_train_stance,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factdesk",
        description="Check claims against an archive of articles: what supports them, what conflicts, who said it.",
    )
    setting_option(parser, "--data-dir")
    setting_option(parser, "--vectors", metavar="ADDRESS")
    setting_option(parser, "--encoder", choices=ENCODERS)
    setting_option(parser, "--stance", choices=STANCE_MODES)
    setting_option(parser, "--min-confidence", type=level, metavar="P")
    setting_option(parser, "--calibration", type=calibration, metavar="{" + ",".join(CALIBRATIONS) + "}")
    setting_option(parser, "--fetch", choices=("on", "off"))
    setting_option(
        parser,
        "--fetch-allow",
        action="append",
        metavar="CIDR",
        help="a network pages may be fetched from although it is not public (loopback, private, link-local, "
        "...), e.g. 10.0.0.0/8; repeatable or a comma list; added to $FACTDESK_FETCH_ALLOW, else public only",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    parser.set_defaults(parser=parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.settings = overlay(Settings(), args)
    except FactdeskError as e:  # the environment's value of a setting the command line did not override
        parser.error(str(e))
    try:
        args.run(args)
    except FactdeskError as e:
        print(f"factdesk {args.command}: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print(f"factdesk {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
