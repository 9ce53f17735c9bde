from pathlib import Path

import pytest

CASES = Path(__file__).parent / "cases"


@pytest.fixture
def cases_dir() -> Path:
    return CASES
