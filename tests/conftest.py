import pytest
from django.utils import translation

from schools.services import areas_load, named_schools_load


@pytest.fixture(autouse=True)
def chinese():
    """Run every test in the UI's default language, so that messages are asserted as users read them."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def liuzhou(db):
    """Load Liuzhou's real areas and the schools the plan names."""
    report = areas_load()
    named_schools_load(report=report)
    return report
