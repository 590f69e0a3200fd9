"""Small helpers shared by tests."""

import io
import re

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


def admin_form_data(response) -> dict:
    """Return the POST data of an admin add/change page as the browser would send it unchanged: the main form's
    fields (the hidden edit version too) and every inline formset with its management form."""
    import datetime

    from django.db.models import Model

    def value(bound) -> object:
        data = bound.value()
        if isinstance(data, Model):
            return data.pk
        if isinstance(data, datetime.date):
            return data.isoformat()
        if data is None:
            return ""
        return data

    def add(form, data: dict) -> None:
        for bound in form:
            if getattr(bound.field.widget, "input_type", None) == "file":
                continue
            v = value(bound)
            if isinstance(v, bool):
                if v:
                    data[bound.html_name] = "on"
            else:
                data[bound.html_name] = v

    data: dict = {}
    add(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form, data)
        for form in formset.initial_forms:
            add(form, data)
        data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)
    return data


def attach_tables(plan, actor=None):
    """Attach a stand-in for a county's arrangement tables (a small PDF) to its work plan: a county plan is
    submitted only with them."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from liuzhou_pairing.actors import SYSTEM
    from pairings.choices import AttachmentKind
    from pairings.services import work_plan_attachment_add

    return work_plan_attachment_add(
        plan=plan,
        file=SimpleUploadedFile("安排表.pdf", b"%PDF-1.4 tables", content_type="application/pdf"),
        kind=AttachmentKind.ARRANGEMENT_TABLES,
        actor=actor or SYSTEM,
    )


def without_tokens(html: str) -> str:
    """The page without its CSRF tokens: a random token may contain any short text (such as "R3"), so that an
    assertion that some text is absent from a page must not see them."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html)


def analysed(count):
    """As generate_demo does after each step: let PostgreSQL's planner see the rows just written (ANALYZE), or a
    report's join over them may be planned to run for many minutes. Returns `count`, to wrap a generator's call."""
    from liuzhou_pairing.management.commands.generate_demo import refresh_statistics

    refresh_statistics()
    return count
