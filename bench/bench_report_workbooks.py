"""Report workbooks benchmark (not a test): the workbook write of 100k-row report frames.

``slow_movers`` and ``restock_report`` spent most of their 44–46 s for 100k SKUs writing the
workbook with openpyxl (bench/RESULTS.md). This times that write alone, without the
database: a 100,000-row frame shaped as each report's (its columns, dtypes and kinds of
values: codes, names, Decimals, floats with NaN, dates, labels) is written

1. as before, with a write-only openpyxl workbook (cells with a number format as
   ``WriteOnlyCell``), and
2. with ``workbooks.xlsx.XlsxBook`` as the commands now do (bold frozen header, number
   formats, widths),

each ``--runs`` times, back to back, and prints the median seconds::

    .venv/bin/python bench/bench_report_workbooks.py [--rows 100000] [--runs 3] [--skip-openpyxl]

With ``--runs-as-stored`` it times instead what a stored report run (``staff.reports``)
writes after its query: the report's own workbook writer (``purchasing.reports`` /
``inventory.reports.write_workbook``: for slow movers the SKU, category and stock-age sheets
with the chart), for the full version and the one without costs, and the rows kept for the
report page (``staff.report_data``, gzip CSV)::

    .venv/bin/python bench/bench_report_workbooks.py --rows 100000 --runs 3 --runs-as-stored
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/jingxi-bench-report-workbooks.sqlite3")


def _frames(rows: int):
    import numpy as np
    import pandas as pd

    from inventory.reports import CATEGORY_HEADERS, SKU_HEADERS
    from purchasing.reports import HEADERS

    rng = np.random.default_rng(7)
    n = np.arange(rows)

    def column(name: str, kind: str):
        if kind == "code":
            return [f"SKU{i:07d}" for i in n]
        if kind == "text":
            return [f"商品 {i // 3} 规格{i % 7}" for i in n]
        if kind == "label":
            labels = ("Regular (常规性)", "Traffic driver (目标性/导流)", "Image (形象)")
            return [labels[i % 3] for i in n]
        if kind == "class":  # the codes, as the report frame holds them
            return [("active", "slow", "dead", "slow")[i % 4] for i in n]
        if kind == "action":
            return [("", "markdown", "bundle", "")[i % 4] for i in n]
        if kind == "money":
            return [Decimal(int(v)) / 100 for v in rng.integers(100, 10**6, rows)]
        if kind == "date":
            return [date(2026, 1, 1) + timedelta(days=int(i % 300)) for i in n]
        if kind == "ratio":
            values = rng.random(rows).round(4)
            values[n % 9 == 0] = np.nan
            return values
        return rng.integers(0, 500, rows)

    def frame(headers: dict, kinds: dict) -> pd.DataFrame:
        return pd.DataFrame({c: column(c, kinds.get(c, "int")) for c in headers})

    sku_columns = {**SKU_HEADERS, "classification": "", "action": ""}

    sku_kinds = {
        "sku": "code",
        "name": "text",
        "category": "text",
        "role": "label",
        "stock_value": "money",
        "last_sale": "date",
        "avg_daily_demand": "ratio",
        "days_of_cover": "ratio",
        "sell_through": "ratio",
        "avg_age_days": "ratio",
        "classification": "class",
        "consumption_value_90": "money",
        "abc": "label",
        "action": "action",
        **{c: "money" for c in SKU_HEADERS if c.endswith("_value") and c.startswith("age_")},
    }
    restock_kinds = {
        "sku": "code",
        "name": "text",
        "warehouse": "label",
        "role": "label",
        "tags": "label",
        "avg_daily_demand": "ratio",
        "demand_std": "ratio",
        "service_level": "ratio",
        "safety_stock": "ratio",
        "reorder_point": "ratio",
        "target": "ratio",
        "over_a_year": "label",
        "sku_status": "label",
        "supplier": "text",
        "unit_cost": "money",
        "order_value": "money",
        "reason": "text",
    }
    categories = max(rows // 1000, 10)
    return (
        ("slow_movers SKU sheet", frame(sku_columns, sku_kinds), SKU_HEADERS),
        ("slow_movers category sheet", frame(CATEGORY_HEADERS, {})[:categories], CATEGORY_HEADERS),
        ("restock sheet", frame(HEADERS, restock_kinds), HEADERS),
    )


def _openpyxl(path: Path, sheets, formats: dict) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for title, df, headers in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([str(label) for label in headers.values()])
        frame = df[list(headers)]
        frame = frame.astype(object).where(frame.notna(), None)
        for row in frame.itertuples(index=False, name=None):
            cells = []
            for column, value in zip(headers, row, strict=True):
                if column in formats and value is not None:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = formats[column]
                    value = cell
                cells.append(value)
            sheet.append(cells)
    book.save(path)


def _xlsxbook(path: Path, sheets, formats: dict, widths: dict) -> None:
    """Write as the commands do: ``inventory.reports.write_sheet`` per sheet, and the restock
    sheet from ``purchasing.reports.workbook_rows`` (labels, no NaN)."""
    from inventory.reports import write_sheet as _write_sheet
    from purchasing.reports import HEADERS, workbook_rows
    from workbooks.xlsx import XlsxBook

    book = XlsxBook(path)
    for title, df, headers in sheets:
        if headers is not HEADERS:
            _write_sheet(book, title[:31], df, headers)
            continue
        columns = list(headers)
        book.add_sheet(
            title[:31],
            [str(label) for label in headers.values()],
            workbook_rows(df),
            formats={i: formats[c] for i, c in enumerate(columns) if c in formats},
            widths={i: widths[c] for i, c in enumerate(columns) if c in widths},
        )
    book.close()


def _as_stored(frames, runs: int) -> None:
    """Time what a stored run writes after its query, per report and version."""
    import io

    import pandas as pd

    from inventory import reports as inventory_reports
    from purchasing import reports as purchasing_reports

    (_t1, skus, _h1), (_t2, categories, _h2), (_t3, restock, _h3) = frames

    def rows_file(df: pd.DataFrame) -> int:
        buffer = io.BytesIO()
        df.to_csv(buffer, index=False, compression={"method": "gzip", "compresslevel": 1})
        return len(buffer.getvalue())

    def slow(with_value: bool):
        out = io.BytesIO()
        inventory_reports.write_workbook(out, skus, categories, with_value=with_value)
        return len(out.getvalue())

    def restock_book(without):
        out = io.BytesIO()
        frame = restock.drop(columns=list(without)) if without else restock
        purchasing_reports.write_workbook(out, frame, without=without)
        return len(out.getvalue())

    cases = {
        "slow movers, full": lambda: slow(True),
        "slow movers, without costs": lambda: slow(False),
        "slow movers, rows file": lambda: rows_file(skus),
        "restock, full": lambda: restock_book(()),
        "restock, without costs": lambda: restock_book(purchasing_reports.COST_COLUMNS),
        "restock, rows file": lambda: rows_file(restock),
    }
    print("| written | rows | median (s) | size (MiB) |")
    print("|---|---|---|---|")
    for name, write in cases.items():
        times, size = [], 0
        for _run in range(runs):
            start = time.perf_counter()
            size = write()
            times.append(time.perf_counter() - start)
        rows = len(restock) if name.startswith("restock") else len(skus)
        print(f"| {name} | {rows:,} | {statistics.median(times):.2f} | {size / 2**20:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-openpyxl", action="store_true", help="time XlsxBook only")
    parser.add_argument(
        "--runs-as-stored", action="store_true", help="time what a stored report run writes"
    )
    options = parser.parse_args()

    import django

    django.setup()
    from inventory import reports as inventory_reports
    from purchasing import reports as purchasing_reports

    formats = {**inventory_reports.WORKBOOK_FORMATS, **purchasing_reports.WORKBOOK_FORMATS}
    widths = {**inventory_reports.WORKBOOK_WIDTHS, **purchasing_reports.WORKBOOK_WIDTHS}
    frames = _frames(options.rows)
    if options.runs_as_stored:
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        _as_stored(frames, options.runs)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return
    reports = {"slow_movers": frames[:2], "restock_report": frames[2:]}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| report | rows | openpyxl write-only (s) | XlsxBook (s) | size openpyxl / XlsxBook |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for report, sheets in reports.items():
            times: dict[str, list[float]] = {"openpyxl": [], "xlsxbook": []}
            if options.skip_openpyxl:
                del times["openpyxl"]
            sizes = {}
            for _run in range(options.runs):
                for name in times:
                    path = Path(folder) / f"{report}-{name}.xlsx"
                    start = time.perf_counter()
                    if name == "openpyxl":
                        _openpyxl(path, sheets, formats)
                    else:
                        _xlsxbook(path, sheets, formats, widths)
                    times[name].append(time.perf_counter() - start)
                    sizes[name] = path.stat().st_size
            rows = sum(len(df) for _title, df, _headers in sheets)
            before = statistics.median(times["openpyxl"]) if "openpyxl" in times else None
            print(
                f"| {report} | {rows:,} | {'–' if before is None else f'{before:.2f}'} | "
                f"{statistics.median(times['xlsxbook']):.2f} | "
                f"{sizes.get('openpyxl', 0) / 2**20:.1f} / {sizes['xlsxbook'] / 2**20:.1f} MiB |"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
