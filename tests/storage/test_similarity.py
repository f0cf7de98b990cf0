"""Near-duplicate scoring, on pairs taken from the seed logs."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.similarity import NEAR_DUPLICATE_SCORE, normalize, similarity

SAME = [
    (
        'pytest on Windows failed with "Event loop is closed" when hitting Postgres via asyncpg in integration tests',
        'pytest on Windows failed with "Event loop is closed" when hitting Postgres via asyncpg',
    ),
    (
        "pytest failed with unexpected line: '\\ufeff[pytest]' because pytest.ini was written with UTF-8 BOM by PowerShell Set-Content",
        "pytest failed with unexpected line '\\ufeff[pytest]' because pytest.ini was written with UTF-8 BOM",
    ),
    (
        "pytest failed with unexpected line '\\ufeff[pytest]' because pytest.ini was written with UTF-8 BOM",
        "pytest.ini written with UTF-8 BOM caused pytest error (unexpected line '\\ufeff[pytest]')",
    ),
    (
        "Messaging MVP: confirmed endpoints return 501 Not Implemented and added integration tests backend/tests/integration/test_messaging_not_implemented.py.",
        "Messaging MVP: confirmed 501 Not Implemented for send/send-new/messages/delete and added integration test backend/tests/integration/test_messaging_not_implemented.py.",
    ),
    (
        "Extended RequestRepository with listing method: added list_requests(limit, offset)",
        "Extended RequestRepository with listing method: added list_requests(limit, offset)",
    ),
]
DIFFERENT = [
    (
        "Implemented PUT /api/v1/user/requests/{requestId}/keys (UpdateRequestKeysRequest -> RequestDetail) + integration tests",
        "Implemented POST /api/v1/user/requests/{requestId}/submit (SubmitRequestResponse) + integration tests",
    ),
    (
        "Added usecase for POST /user/requests: created app/usecases/create_request_manual.py with CreateRequestManualUseCase + KeyInput validation",
        "Added transport DTOs for UserRequests manual create: created app/transport/schemas/requests.py with RequestKeyInputDTO, CreateRequestManualRequestDTO, CreateRequestResponseDTO.",
    ),
    (
        "Uvicorn failed to bind on 0.0.0.0:8000 (WinError 10048).",
        "Port 8000 stuck on Windows (uvicorn bind fails with WinError 10048).",
    ),
    (
        "generated entry number 17 about the cache layer",
        "generated entry number 18 about the cache layer",
    ),
    ("python -m pytest -q -> 38 passed", "python -m pytest -q -> 40 passed"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_reworded_repeats_score_as_duplicates(a: str, b: str) -> None:
    assert similarity(a, b) >= NEAR_DUPLICATE_SCORE


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_distinct_entries_score_below_the_threshold(a: str, b: str) -> None:
    assert similarity(a, b) < NEAR_DUPLICATE_SCORE


def test_empty_text_is_never_a_duplicate() -> None:
    assert similarity("", "anything") == 0.0


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_plain_ascii_is_normalised_as_the_general_rule_does(text: str) -> None:
    # normalize() takes a table for ASCII text; the rule for any text is the regex.
    general = re.sub(r"[^\w]+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    assert normalize(text) == general
    assert normalize(text + "É") == re.sub(r"[^\w]+", " ", (text + "É").casefold()).strip()
