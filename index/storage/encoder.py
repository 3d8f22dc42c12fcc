"""The encoder that made a data directory's vectors, recorded in it: vectors of two encoders do not compare."""

from pathlib import Path

from factdesk.index.embed import ENCODERS, identity
from factdesk.index.errors import Conflict
from factdesk.index.storage.sqlite import Store

REINDEXING = "(reindexing) "  # the recorded encoder while `reindex` runs


class EncoderMismatch(Conflict):
    """The data directory's vectors were made by another encoder than this process's (the message says what to do)."""


def encoder_problem(data_dir: Path, recorded: str | None, encoder: str) -> str | None:
    """Why a data directory whose vectors were made by `recorded` cannot be used with `encoder`, if it cannot."""
    if recorded is None or recorded == encoder:
        return None
    if recorded.startswith(REINDEXING):
        return f"{data_dir}: a reindex {recorded[len(REINDEXING) :]} did not finish; run `factdesk reindex` again"
    hint = next((f"open it with --encoder {e}, or " for e in ENCODERS if identity(e) == recorded), "")
    return (
        f"{data_dir}: its vectors were made by {recorded}, not by this process's {encoder}; "
        f"{hint}run `factdesk reindex` to re-embed its statements with this encoder"
    )


def recorded_encoder(data_dir: Path) -> str | None:
    """The encoder a data directory records as the maker of its vectors (None for a new one); loads no model."""
    path = Path(data_dir) / "factdesk.sqlite3"
    if not path.exists():
        return None
    store = Store(path)
    try:
        return store.info("encoder")
    finally:
        store.close()


def require_encoder(data_dir: Path, store: Store, encoder: str) -> None:
    # the first to open a data directory records its encoder (data directories from before this was
    # recorded get the encoder that opens them first)
    problem = encoder_problem(data_dir, store.record_info("encoder", encoder), encoder)
    if problem:
        store.close()
        raise EncoderMismatch(problem)
