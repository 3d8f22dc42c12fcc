"""Commands around the HTTP server: serve, keys, config-docs."""

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import Any

from factdesk.index.errors import InvalidInput
from factdesk.index.settings import settings_table
from factdesk.service.archive import check_models
from factdesk.service.cli.common import net_policy, setting_option
from factdesk.service.keys import SCOPES, KeyRing, create_key, read_keys

CONFIGURATION_PAGE = """# Configuration

Every setting of factdesk, from `index/settings.py`: its environment variable, the command-line flag that
overrides it (where there is one) and its default. `factdesk serve` hands its settings to each worker; nothing
else reads the environment. This page is generated: `factdesk config-docs --out docs/configuration.md`.

"""


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from factdesk.service.api.app import serve_app
    from factdesk.service.api.guards import parse_rate

    settings = args.settings
    # what would stop a worker, said in one line now and not as a traceback from every worker
    check_models(settings)
    if settings.keys_file:
        KeyRing(settings.keys_file)
    net_policy(settings)
    parse_rate(settings.rate_limit)
    # the settings travel to each worker process inside the app factory (pickled), not through the environment
    config = uvicorn.Config(
        partial(serve_app, settings),
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_level="info",
        access_log=False,  # factdesk logs each request itself, with its request id
    )
    server = uvicorn.Server(config)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server.run()


def cmd_keys(args: argparse.Namespace) -> None:
    path = args.settings.keys_file
    if not path:
        raise InvalidInput("no keys file: give --keys-file or set FACTDESK_KEYS_FILE")
    if args.action == "list":
        for key in read_keys(path) if path.exists() else []:
            print(f"{key.id}  {','.join(key.scopes):<18} {key.created}  {key.name}")
        return
    secret, record = create_key(path, args.scope or [], args.name)
    print(secret)
    print(
        f"key {record.id} with scopes {', '.join(record.scopes)} added to {path}; it is shown only once",
        file=sys.stderr,
    )


def configuration_page(parser: argparse.ArgumentParser) -> str:
    """docs/configuration.md: the settings table, with the flag of each setting the command line overrides."""
    flags: dict[str, str] = {}
    parsers = [parser, *next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices.values()]
    for p in parsers:
        for action in p._actions:
            if action.option_strings and action.dest not in flags:
                flags[action.dest] = action.option_strings[-1]
    return CONFIGURATION_PAGE + settings_table(flags)


def cmd_config_docs(args: argparse.Namespace) -> None:
    page = configuration_page(args.parser)
    if args.out:
        Path(args.out).write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)


def add_serve(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the HTTP API (ingests seeds/ into an empty data directory)")
    setting_option(p, "--host")
    setting_option(p, "--port", type=int)
    p.add_argument("--workers", type=int, default=1, help="worker processes, each loads the models once")
    setting_option(p, "--keys-file")
    setting_option(p, "--rate-limit")
    setting_option(p, "--log-format", choices=("text", "json"))
    setting_option(p, "--public-url")
    p.set_defaults(run=cmd_serve)


def add_keys(sub: Any) -> None:
    p = sub.add_parser(
        "keys",
        help="create or list API keys",
        description="API keys for the HTTP API. `create` prints a new key once; only its SHA-256 digest is "
        "stored. Scopes: check (check, search, read articles), ingest (add, replace, delete articles), admin "
        "(metrics). The server asks for keys when started with the same --keys-file.",
    )
    p.add_argument("action", choices=("create", "list"))
    p.add_argument("--scope", action="append", choices=SCOPES, help="repeat for several scopes")
    p.add_argument("--name", default="", help="a note to say whose key it is")
    setting_option(p, "--keys-file")
    p.set_defaults(run=cmd_keys)


def add_config_docs(sub: Any) -> None:
    p = sub.add_parser(
        "config-docs",
        help="print the page of every setting (docs/configuration.md)",
        description="The settings with their environment variables, flags and defaults, as Markdown.",
    )
    p.add_argument("--out", help="write the page here instead of stdout")
    p.set_defaults(run=cmd_config_docs)
