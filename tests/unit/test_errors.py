"""One map from domain errors to HTTP statuses; none of them is a ValueError, so a ValueError is a bug (500)."""

import pytest

from factdesk.index.errors import Busy, Conflict, FactdeskError, InvalidInput, NotFound, Refused, Unreadable
from factdesk.index.factchecks import InvalidClaimReview, NotJSON
from factdesk.index.ingest.articles import InvalidArticle
from factdesk.index.storage.encoder import EncoderMismatch
from factdesk.service.api.errors import status_of
from factdesk.service.ingest_files import InputError
from factdesk.service.outbound.netguard import FetchError, FetchOff, RefusedAddress


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("x"), 422),
        (InvalidArticle("x"), 422),
        (InvalidClaimReview("x"), 422),
        (InputError("x"), 422),
        (FetchError("x"), 422),
        (RefusedAddress("x"), 422),
        (Unreadable("x"), 400),
        (NotJSON("x"), 400),
        (NotFound("x"), 404),
        (Conflict("x"), 409),
        (EncoderMismatch("x"), 409),
        (Refused("x"), 403),
        (FetchOff("x"), 403),
        (Busy("x", retry_after=5), 503),
        (FactdeskError("x"), 422),
    ],
)
def test_each_domain_error_has_one_status(error: FactdeskError, status: int) -> None:
    assert status_of(error) == status
    assert not isinstance(error, ValueError)
