"""A report page's "download xlsx": the workbook written by ``XlsxBook`` into the answer."""

import io
from collections.abc import Callable

from django.http import HttpResponse

from workbooks.xlsx import XlsxBook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(filename: str, write: Callable[[XlsxBook], None]) -> HttpResponse:
    """Return ``filename`` (``.xlsx``) as a download, its sheets written by ``write``."""
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    write(book)
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
