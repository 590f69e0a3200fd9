from tests.accounts.conftest import Land, as_user, land  # noqa: F401  the two counties, their schools and users
