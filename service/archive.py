"""The one way the server and the command line open the archive their settings name."""

import fcntl
from pathlib import Path

from factdesk.index.archive import Archive
from factdesk.index.embed import identity
from factdesk.index.errors import Conflict
from factdesk.index.ingest.articles import Article
from factdesk.index.settings import Settings
from factdesk.index.stance import stance_name
from factdesk.index.storage.encoder import encoder_problem, recorded_encoder
from factdesk.index.verdict import load_calibrator
from factdesk.service.ingest_files import read_articles


def seed_articles() -> list[Article]:
    from factdesk.seeds import seed_files

    return [a for path in seed_files() for a in read_articles(path)]


def check_models(settings: Settings, encoder: bool = True) -> None:
    """What would stop the archive from opening, said in one line before any model loads or anything is written:
    a calibration the stance model lacks (InvalidInput), vectors another encoder made (Conflict)."""
    load_calibrator(stance_name(settings.stance), settings.calibration)
    problem = encoder_problem(settings.data_dir, recorded_encoder(settings.data_dir), identity(settings.encoder))
    if encoder and problem:
        raise Conflict(problem)


def open_archive(settings: Settings, check: bool = True) -> Archive:
    """The archive in `settings.data_dir` with the settings' models, seeded when empty if `settings.seed`.

    `check=False` opens a data directory whose vectors another encoder made (for `factdesk reindex`).
    """
    from factdesk.index.embed import load_embedder
    from factdesk.index.stance import load_stance

    check_models(settings, encoder=check)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    # server workers start together: one at a time opens (reconciles) and seeds the data directory
    with open(Path(settings.data_dir) / ".open.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        archive = Archive(
            Path(settings.data_dir),
            embedder=load_embedder(settings.encoder),
            stance=load_stance(settings.stance),
            vectors=settings.vectors,
            check_encoder=check,
            min_confidence=settings.min_confidence,
            calibration=settings.calibration,
        )
        if settings.seed and archive.stats()["articles"] == 0:
            archive.ingest(seed_articles())
    return archive
