"""People: units, users and roles, login, API tokens."""
