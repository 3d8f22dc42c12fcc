"""What the server runs with and who is asking."""

from msgspec import Struct


class WhoAmI(Struct):
    """What the presented key may do, so that a client shows only what it can use."""

    keys: bool  # False: the server requires no keys and every scope is open
    scopes: list[str]
    key_id: str | None = None
    name: str | None = None


class Health(Struct):
    status: str
    articles: int
    statements: int
    vectors: int
    publishers: int
    fact_checks: int
    vector_index: str
    embedding_model: str
    encoder: str
    stance_mode: str
    stance_model: str
    calibration: str | None = None  # the verdict calibration in use; None without one (`--stance cues`)
    min_confidence: float = 0.0  # the level a verdict needs to be decided, unless a request sets its own
