"""Small helpers shared by tests."""

import io

import openpyxl


def xlsx_upload(headers: list[str], rows: list[list], name: str = "upload.xlsx") -> io.BytesIO:
    """Return an in-memory xlsx file with `headers` and `rows`, ready to post as an upload."""
    book = openpyxl.Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = name
    return data


def post_import(client, url_name: str, headers: list[str], rows: list[list]):
    """Post an xlsx file to an admin import page (first format, first resource) and return the response."""
    from django.urls import reverse

    return client.post(reverse(url_name), {"format": "0", "resource": "0", "import_file": xlsx_upload(headers, rows)})
