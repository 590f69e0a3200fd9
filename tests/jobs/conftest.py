# The land and activities of tests/activities serve these tests too.
from tests.accounts.conftest import as_user, land  # noqa: F401
from tests.activities.conftest import acts  # noqa: F401
