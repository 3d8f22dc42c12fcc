"""`factdesk serve --workers 2`: every worker process gets the settings its flags gave (unit/test_settings.py tests
the settings themselves)."""

from pathlib import Path

import httpx
import pytest
from serving import start_server


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
