"""One settings definition: read from the environment once, overlaid by flags, listed in docs/configuration.md."""

import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from factdesk.index.errors import InvalidInput
from factdesk.index.settings import Settings
from factdesk.service.cli import build_parser
from factdesk.service.cli.common import overlay
from factdesk.service.cli.server import configuration_page

ROOT = Path(__file__).resolve().parents[2]


def test_the_configuration_page_is_generated_from_the_settings() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == configuration_page(build_parser()), "run `factdesk config-docs --out docs/configuration.md`"
    for variable in ("FACTDESK_DATA_DIR", "FACTDESK_WEBHOOK_TIMEOUT", "FACTDESK_CACHE_DIR", "`--fetch-allow`"):
        assert variable in page


def test_the_environment_is_read_when_settings_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTDESK_WEBHOOK_ATTEMPTS", "3")
    monkeypatch.setenv("FACTDESK_FETCH", "OFF")
    monkeypatch.setenv("FACTDESK_FETCH_ALLOW", "10.0.0.0/8")
    settings = Settings()
    assert settings.webhook_attempts == 3 and settings.fetch is False and settings.port == 8000
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(InvalidInput, match="PORT: expected an integer"):
        Settings()
    monkeypatch.delenv("PORT")
    args = build_parser().parse_args(["--fetch", "on", "--fetch-allow", "127.0.0.1/32", "serve", "--port", "9"])
    given = overlay(settings, args)
    assert given.fetch and given.fetch_allow == "10.0.0.0/8,127.0.0.1/32" and given.port == 9
    assert given.webhook_attempts == 3  # not a flag: the environment's
    assert pickle.loads(pickle.dumps(given)) == given  # as `serve` hands it to each worker
    assert replace(given, seed=False).seed is False
