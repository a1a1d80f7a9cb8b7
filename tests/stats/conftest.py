"""The statistics tests' fixtures: the office of tests/stats/office_figures.py, and a client logged in as a user."""

import pytest

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
