"""The rows of a report run kept as a table beside its workbook, so that the report page
filters, sorts and pages them without building the report again: gzip CSV (level 1, fast to
write and to read back with pandas; the file is written by the run alone, never uploaded)."""

import io

import pandas as pd
from django.core.files.base import ContentFile

from staff.models import ReportRun


def frame_store(run: ReportRun, frame: pd.DataFrame, name: str) -> None:
    """Keep ``frame`` as the data of ``run`` (saved with the run by the caller)."""
    buffer = io.BytesIO()
    frame.to_csv(buffer, index=False, compression={"method": "gzip", "compresslevel": 1})
    run.data.save(name, ContentFile(buffer.getvalue()), save=False)


def frame_load(run: ReportRun) -> pd.DataFrame:
    """The rows of ``run`` as stored; an empty frame for a run without data."""
    if not run.data:
        return pd.DataFrame()
    with run.data.open("rb") as file:
        return pd.read_csv(file, compression="gzip")
