"""`factdesk [OPTIONS] COMMAND`: ingest, check, check-doc, search, stats, delete, reindex, rescore, serve, keys,
config-docs, train-stance. Global options overlay the settings (index/settings.py)."""

from factdesk.service.cli.run import build_parser, main

__all__ = ["build_parser", "main"]
