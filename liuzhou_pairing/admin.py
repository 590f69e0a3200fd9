"""Admin pieces shared by every app."""

from import_export.admin import ImportExportModelAdmin as BaseImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX


class ImportExportModelAdmin(BaseImportExportModelAdmin):
    """Import and export spreadsheets (xlsx) and csv files only: the formats county clerks use."""

    formats = [XLSX, CSV]
