"""What handlers are given besides the request: the archive the lifespan opened."""

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from factdesk.index.archive import Archive

OpenArchive = NamedDependency[Archive]


def _archive(state: State) -> Archive:
    return state.archive  # type: ignore[no-any-return]


DEPENDENCIES = {"archive": Provide(_archive, sync_to_thread=False)}
