"""The form field of every workbook upload: refused above ``WORKBOOK_UPLOAD_MAX_BYTES``
before a byte of it is read (Django has streamed it to a temporary file by then)."""

from django import forms
from django.core.exceptions import ValidationError

from workbooks import guards
from workbooks.exceptions import WorkbookInvalid


class WorkbookFileField(forms.FileField):
    def clean(self, data, initial=None):
        file = super().clean(data, initial)
        if file is not None:
            try:
                guards.upload_check(file.size)
            except WorkbookInvalid as invalid:
                raise ValidationError(invalid.errors[0].reason, code="too_large") from None
        return file
