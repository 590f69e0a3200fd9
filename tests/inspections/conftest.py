# The land of tests/accounts (two counties, a paired district, a user per role) serves these tests too.
from tests.accounts.conftest import as_user, land  # noqa: F401
