"""The statistics tests' fixtures: the office of tests/stats/office_figures.py, and a client logged in as a user."""

import pytest

from docflow.core.timeutil import today
from tests.conftest import login
from tests.stats.office_figures import build


@pytest.fixture
def figures(db, users, make_user):
    return build(db, users, make_user)


@pytest.fixture
def as_user(app):
    def do(user):
        client = app.test_client()
        login(client, user.username)
        return client

    return do


@pytest.fixture(autouse=True)
def _today_when_the_test_starts(request):
    """The modules' TODAY (the office's day, which the services read through `today()` too) as of the test's
    start, not of the module's import: a run that crosses the office's midnight (17:00 UTC in Hanoi) compared a
    letter completed "today" with yesterday's date."""
    if hasattr(request.module, "TODAY"):
        request.module.TODAY = today()
