"""Workbook bombs benchmark (not a test): every bad workbook is refused, or imported, within a
bounded memory (goal: peak RSS < 600 MB).

It builds, in ``/tmp/jingxi_bench_bombs`` (kept between runs):

- ``xfd4000``: a products sheet of one row plus one cell at XFD4000 (about 2 KB);
- ``gigabyte``: a sheet of 1 GiB of XML (one cell of 1 GiB of text) deflated to about 1 MB;
- ``gigabyte-understated``: the same, its zip directory claiming 1 MiB for the sheet;
- ``last-row``: a sheet whose ``<dimension>`` and one cell claim row 1,048,576;
- ``filled-million``: 1,048,575 filled rows of one column (within the cell limit, over the
  row limit: the rows are counted by the parser);
- ``upload-50mb``: a workbook of 50 MB (a 50 MB part beside a small sheet);
- ``widest-allowed``: 37,500 rows (header included) × 80 columns, the most cells a sheet may
  span (3,000,000):
  read whole, then refused for its unknown columns; ``most-text``: 50,000 rows × 32 columns of
  distinct texts, about as much text as the size limits let through (98 MB unpacked);
- ``catalogue-50k``: a good catalogue of 50,000 SKU rows (the row limit), a dry run.

Each runs in its own process under ``/usr/bin/time -v`` (peak RSS), twice: as the admin's
upload (the form's checks on the uploaded file, which Django has streamed to a temporary
file, then ``job_create`` and ``job_run`` of the preview) and as ``catalog_import`` of the
path (``import_catalog FILE --dry-run``). The database ``jingxi_bench_bombs`` on the
``DATABASE_URL`` server is created and migrated when missing. It prints a markdown table and
appends it to ``bench/RESULTS.md``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi \
        .venv/bin/python bench/bench_workbook_bombs.py

``--root DIR`` runs the cases against another checkout (e.g. ``git archive main`` unpacked)
for a before/after; ``--limit-mb N`` caps each process's address space (a bomb then aborts
instead of taking the machine); ``--cases a,b`` picks cases; ``--no-write`` only prints.
"""

import argparse
import json
import os
import platform
import random
import re
import resource
import struct
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
WORK = Path("/tmp/jingxi_bench_bombs")
DATABASE = "jingxi_bench_bombs"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADERS = [
    "sku", "product", "name", "category", "brand", "role", "status", "retail_price",
    "distribution_price", "cost_price", "barcode", "weight_g", "length_mm", "width_mm",
    "height_mm", "selling_points", "warning_level",
]  # fmt: skip


# --- The files -----------------------------------------------------------------------------


def _good_row(i: int) -> list:
    p = i // 2
    category = f"大类{p % 10} > 中类{p // 10 % 10} > 小类{p // 100 % 10}"
    return [
        f"SKU{i:07d}", f"P{p:06d}", f"商品{p}", category,
        f"品牌{p % 40}", "regular", "draft", Decimal(500 + i % 9000) / 100, Decimal("4.00"),
        Decimal("2.00"), None, 250, 300, 200, 20, f"卖点{p % 7}\n卖点{p % 11}", 5,
    ]  # fmt: skip


def _xlsx(path: Path, header: list, rows) -> None:
    sys.path.insert(0, str(ROOT))
    from workbooks.xlsx import XlsxBook

    book = XlsxBook(path)
    book.add_sheet("products", header, rows)
    book.close()


def _replace_sheet(path: Path, base: Path, write_sheet) -> None:
    """Write ``path``: ``base``'s parts, its sheet replaced by what ``write_sheet(part)``
    writes (streamed: a 1 GiB sheet is never held)."""
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, source.read(info), zipfile.ZIP_DEFLATED)
        member = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        member.compress_type = zipfile.ZIP_DEFLATED
        member._compresslevel = 9
        with target.open(member, "w", force_zip64=True) as part:
            write_sheet(part)


def _understate(path: Path, source: Path, stated: int) -> None:
    """Copy ``source`` to ``path`` with the sheet's uncompressed size stated as ``stated`` in
    the central directory (and its zip64 extra field)."""
    data = bytearray(source.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    at = data.find(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(name)] != name:
        at = data.find(b"PK\x01\x02", at + 4)
    name_length, extra_length = struct.unpack_from("<HH", data, at + 28)
    struct.pack_into("<I", data, at + 24, stated)
    extra = at + 46 + name_length
    end = extra + extra_length
    while extra < end:  # the zip64 field holds the real sizes when the fields say 0xFFFFFFFF
        tag, size = struct.unpack_from("<HH", data, extra)
        if tag == 1:
            struct.pack_into("<Q", data, extra + 4, stated)
        extra += 4 + size
    path.write_bytes(bytes(data))


def build(name: str) -> Path:
    WORK.mkdir(exist_ok=True)
    path = WORK / f"{name}.xlsx"
    if path.exists():
        return path
    base = WORK / "base.xlsx"
    if not base.exists():
        _xlsx(base, HEADERS, [_good_row(1)])
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'

    def header_row() -> bytes:
        cells = "".join(
            f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
            for i, h in enumerate(HEADERS)
        )
        return f'<row r="1">{cells}</row>'.encode()

    if name == "xfd4000":

        def sheet(part):
            part.write(head.encode() + b"<sheetData>" + header_row())
            part.write(b'<row r="4000"><c r="XFD4000" t="inlineStr"><is><t>x</t></is></c></row>')
            part.write(b"</sheetData></worksheet>")

        _replace_sheet(path, base, sheet)
    elif name == "gigabyte":

        def sheet(part):  # one cell of 1 GiB of text
            part.write(head.encode() + b"<sheetData>" + header_row())
            part.write(b'<row r="2"><c r="A2" t="inlineStr"><is><t>')
            piece = b"x" * (1 << 20)
            for _ in range(1 << 10):
                part.write(piece)
            part.write(b"</t></is></c></row></sheetData></worksheet>")

        _replace_sheet(path, base, sheet)
    elif name == "gigabyte-understated":
        _understate(path, build("gigabyte"), 1 << 20)
    elif name == "last-row":

        def sheet(part):
            part.write(head.encode() + b'<dimension ref="A1:Q1048576"/><sheetData>' + header_row())
            part.write(b'<row r="1048576"><c r="Q1048576"><v>1</v></c></row>')
            part.write(b"</sheetData></worksheet>")

        _replace_sheet(path, base, sheet)
    elif name == "filled-million":
        _xlsx(path, ["sku"], ([f"S{i}"] for i in range(1, 1_048_576)))
    elif name == "upload-50mb":
        with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w") as target:
            for info in source.infolist():
                target.writestr(info.filename, source.read(info), zipfile.ZIP_DEFLATED)
            target.writestr("xl/media/image1.bin", random.Random(1).randbytes(50 << 20))
    elif name == "widest-allowed":
        header = [*HEADERS, *(f"extra{i}" for i in range(80 - len(HEADERS)))]
        _xlsx(path, header, ([i * 80 + j for j in range(80)] for i in range(37_499)))
    elif name == "most-text":
        header = [*HEADERS, *(f"extra{i}" for i in range(32 - len(HEADERS)))]
        _xlsx(path, header, ([f"t{i * 32 + j:x}" for j in range(32)] for i in range(49_999)))
    elif name == "catalogue-50k":
        _xlsx(path, HEADERS, (_good_row(i) for i in range(50_000)))
    else:
        raise SystemExit(f"unknown case {name}")
    return path


CASES = [
    "xfd4000",
    "gigabyte",
    "gigabyte-understated",
    "last-row",
    "filled-million",
    "upload-50mb",
    "widest-allowed",
    "most-text",
    "catalogue-50k",
]


# --- Child processes -----------------------------------------------------------------------


def child(way: str, file: str) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.utils import translation

    translation.activate("en")
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from catalog import jobs
    from catalog.importing import catalog_import
    from catalog.resources import WorkbookUploadForm
    from workbooks.exceptions import WorkbookInvalid

    started = time.perf_counter()
    if way == "upload":
        user = User.objects.get(username="bench")
        size = Path(file).stat().st_size
        upload = TemporaryUploadedFile("upload.xlsx", "application/octet-stream", size, None)
        with open(file, "rb") as source:  # what Django's upload handler writes, in chunks
            while chunk := source.read(1 << 20):
                upload.write(chunk)
        upload.seek(0)
        form = WorkbookUploadForm(data={"create_categories": "on"}, files={"file": upload})
        if not form.is_valid():
            outcome = f"form error: {form.errors['file'][0]}"
            return {"seconds": time.perf_counter() - started, "outcome": outcome}
        uploaded = form.cleaned_data["file"]
        job_id = jobs.job_create(  # a checkout before the guards took the bytes
            content=uploaded if hasattr(jobs, "UPLOADS") else uploaded.read(),
            kind="products",
            dry_run=True,
            create_categories=True,
            user=user,
        )
        jobs.job_run(job_id)
        job = jobs.job_get(job_id)
        if job["status"] == "done":
            outcome = "previewed: " + str(job["report"]["summary"])
        else:
            outcome = f"refused: {job.get('message')}"
    else:
        try:
            report = catalog_import(source=Path(file), dry_run=True)
            outcome = "previewed: " + str(report.summary())
        except WorkbookInvalid as invalid:
            outcome = f"refused: {invalid.message}"
    return {"seconds": time.perf_counter() - started, "outcome": outcome}


def run_case(way: str, file: Path, url: str, root: Path, limit_mb: int | None) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(root),
    }
    command = [
        "/usr/bin/time", "-v", sys.executable, str(Path(__file__)), "--child", way,
        "--file", str(file),
    ]  # fmt: skip

    def cap():
        if limit_mb:
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, check=False, preexec_fn=cap
    )
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    result = {"peak_mib": int(peak.group(1)) / 1024 if peak else float("nan")}
    if wall:
        hours, minutes, seconds = wall.groups()
        result["wall"] = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        result.update(json.loads(lines[-1]))
    else:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        for line in done.stderr.splitlines():
            if "Error" in line or "Killed" in line or "signal" in line:
                last = line.strip()
        result["outcome"] = f"crashed (exit {done.returncode}): {last[:160]}"
    return result


# --- Main ----------------------------------------------------------------------------------


def database_url(base: str) -> str:
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"The benchmark needs PostgreSQL; DATABASE_URL is {base}")
    return urlunsplit(parts._replace(path=f"/{DATABASE}"))


def database_ready(url: str, root: Path) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    admin.close()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True)
    script = (
        "from django.contrib.auth.models import User\n"
        "User.objects.filter(username='bench').exists() or "
        "User.objects.create_superuser('bench', 'bench@localhost', None)\n"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=root, env=env, check=True
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--file")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--root", default=str(ROOT), help="the checkout to run the cases on")
    parser.add_argument("--limit-mb", type=int, help="cap each case's address space (MiB)")
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.file), default=str))
        return

    root = Path(args.root).resolve()
    url = database_url(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jingxi"))
    database_ready(url, root)
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[0]
    lines = [
        "| case | file | way | peak RSS | seconds | outcome |",
        "|---|---:|---|---:|---:|---|",
    ]
    worst = 0.0
    for name in args.cases.split(","):
        file = build(name)
        size = file.stat().st_size
        shown = f"{size / (1 << 20):,.1f} MB" if size > 1 << 20 else f"{size / 1024:,.1f} KB"
        for way in ("upload", "command"):
            result = run_case(way, file, url, root, args.limit_mb)
            worst = max(worst, result["peak_mib"])
            outcome = re.sub(r"\s+", " ", str(result.get("outcome", "")))[:220].replace("|", "/")
            line = (
                f"| {name} | {shown} | {way} | {result['peak_mib']:,.0f} MiB | "
                f"{result.get('seconds', result.get('wall', float('nan'))):.2f} | {outcome} |"
            )
            print(line, flush=True)
            lines.append(line)
    if args.no_write:
        return
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    options = f" --root {args.root}" if root != ROOT else ""
    options += f" --limit-mb {args.limit_mb}" if args.limit_mb else ""
    options += f" --cases {args.cases}" if args.cases != ",".join(CASES) else ""
    section = "\n".join(
        [
            f"## Workbook bombs: refused or imported within a bounded memory — {stamp}",
            "",
            "`DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python "
            f"bench/bench_workbook_bombs.py{options}`  ",
            f"commit {commit or 'outside git'}{' (uncommitted changes)' if dirty else ''}; "
            f"Python {platform.python_version()}; {os.cpu_count()} CPUs (load average {load} "
            "at the start); each case in its own process, peak RSS by `/usr/bin/time -v`; "
            "seconds of the import call (Django start-up excluded).",
            "",
            *lines,
            "",
            f"Worst peak RSS: {worst:,.0f} MiB (goal < 600 MB).",
            "",
        ]
    )
    with open(RESULTS, "a", encoding="utf-8") as handle:
        handle.write("\n" + section)
    print(f"\nWorst peak RSS: {worst:,.0f} MiB; appended to {RESULTS}")


if __name__ == "__main__":
    main()
