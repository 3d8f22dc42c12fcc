"""One settings definition: read from the environment once, overlaid by flags, listed in docs/configuration.md."""

import pickle
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from serving import start_server

from factdesk.index.errors import InvalidInput
from factdesk.index.settings import Settings
from factdesk.service.cli import build_parser
from factdesk.service.cli.common import overlay
from factdesk.service.cli.server import configuration_page

ROOT = Path(__file__).resolve().parents[1]


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


@pytest.mark.slow
def test_serve_hands_its_flags_to_every_worker(tmp_path: Path) -> None:
    options = ("--stance", "cues", "--fetch", "off")
    extra = ["--workers", "2", "--public-url", "https://desk.example.org/"]
    with start_server(tmp_path / "data", *options, extra=extra) as url:
        for _ in range(4):  # the requests spread over both workers
            draft = httpx.post(
                f"{url}/v1/check",
                json={"claim": "M23 rebels have captured Goma"},
                headers={"accept": "application/ld+json"},
            ).json()
            assert draft["url"].startswith("https://desk.example.org/?claim=M23")
            refused = httpx.post(f"{url}/v1/articles", json={"url": "https://example.org/"})
            assert refused.status_code == 403  # --fetch off
