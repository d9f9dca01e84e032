"""The rows of a report run kept as a table beside its workbook, so that the report page
filters, sorts and pages them without building the report again: gzip CSV (level 1, fast to
write and to read back with pandas; the file is written by the run alone, never uploaded).

Before it is stored a frame gets the keys the page filters on, where the report lacks them:
the SKU's category (``category_id``, a leaf of the 大类/中类/小类 tree: the page selects a
subtree by its lft/rght range) and product role, and the warehouse's id. They are the facts
when the run is built, like the rest of the row. A frame stored before they were added gets
them when it is read (``frame_load``).

A page reads the same stored file many times: the frames last read are kept in this process
(a few, keyed by the file and the run's finish time, which a new build changes).
"""

import io
import threading
from collections import OrderedDict

import pandas as pd
from django.core.files.base import ContentFile

from catalog.models import SKU
from inventory.models import Warehouse
from staff.models import ReportRun

# Columns read as text whatever they hold (a SKU code "0012" stays "0012"; "NA" is a name).
TEXT_COLUMNS = (
    "sku",
    "name",
    "warehouse",
    "supplier",
    "category",
    "role",
    "tags",
    "reason",
    "draft_orders",
    "sku_status",
    "classification",
    "abc",
    "action",
    "status",
    "month",
)
# Above this many SKUs in a frame the whole SKU table is read at once (one scan) rather than
# the frame's SKUs by id (a long IN list).
SKU_LOOKUP_LIMIT = 5000
CACHED_FRAMES = 4

_cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_cache_lock = threading.Lock()


def _sku_facts(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The category, product role and id of the frame's SKUs, keyed the way the frame names
    them (``sku_id`` or the code ``sku``); None when the frame names no SKU."""
    key = "sku_id" if "sku_id" in frame else "sku" if "sku" in frame else None
    if key is None or frame.empty:
        return None
    wanted = frame[key].dropna().unique()
    skus = SKU.objects.all()
    if len(wanted) <= SKU_LOOKUP_LIMIT:
        lookup = [int(value) for value in wanted] if key == "sku_id" else [str(v) for v in wanted]
        skus = skus.filter(**{"pk__in" if key == "sku_id" else "code__in": lookup})
    facts = pd.DataFrame.from_records(
        list(skus.values_list("pk", "code", "product__category_id", "product__role")),
        columns=["sku_id", "sku", "category_id", "role"],
    )
    return facts.drop_duplicates(key).set_index(key)


def frame_enrich(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the columns the page filters on that ``frame`` lacks: ``category_id`` and ``role``
    of its SKUs, ``warehouse_id`` from its warehouse code (column operations, a query each)."""
    wanted = [c for c in ("category_id", "role", "sku_id") if c not in frame]
    if wanted:
        facts = _sku_facts(frame)
        if facts is not None:
            key = frame["sku_id"] if "sku_id" in frame else frame["sku"].astype(str)
            frame = frame.assign(**{c: key.map(facts[c]) for c in wanted if c in facts})
    if "warehouse_id" not in frame and "warehouse" in frame and not frame.empty:
        codes = dict(Warehouse.objects.values_list("code", "pk"))
        frame = frame.assign(warehouse_id=frame["warehouse"].map(codes))
    return frame


def frame_store(run: ReportRun, frame: pd.DataFrame, name: str) -> None:
    """Keep ``frame`` (with the page's filter keys) as the data of ``run`` (saved with the
    run by the caller)."""
    frame = frame_enrich(frame)
    buffer = io.BytesIO()
    frame.to_csv(buffer, index=False, compression={"method": "gzip", "compresslevel": 1})
    run.data.save(name, ContentFile(buffer.getvalue()), save=False)


def _read(run: ReportRun) -> pd.DataFrame:
    with run.data.open("rb") as file:
        header = pd.read_csv(file, compression="gzip", nrows=0).columns
        file.seek(0)
        return pd.read_csv(
            file,
            compression="gzip",
            dtype={c: "string" for c in TEXT_COLUMNS if c in header},
            keep_default_na=False,
            na_values=[""],
        )


def frame_load(run: ReportRun) -> pd.DataFrame:
    """The rows of ``run`` as stored, with the page's filter keys; an empty frame for a run
    without data. The caller must not change the frame in place (it may be shared)."""
    if not run.data:
        return pd.DataFrame()
    # A new build of the run writes a new file (and finishes later); the storage's place
    # tells apart two media folders holding a file of the same name.
    key = (getattr(run.data.storage, "location", ""), run.data.name, run.finished_at)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        frame = _read(run)
    except FileNotFoundError:  # the media folder lost it: the page says the run has no rows
        return pd.DataFrame()
    if not {"category_id", "role"} <= set(frame) or (
        "warehouse" in frame and "warehouse_id" not in frame
    ):
        frame = frame_enrich(frame)
    if "sku" in frame:
        # The SKU codes' order as integers: the page's tie-break, far cheaper than the text.
        frame["sku_order"] = pd.factorize(frame["sku"], sort=True)[0]
    with _cache_lock:
        _cache[key] = frame
        while len(_cache) > CACHED_FRAMES:
            _cache.popitem(last=False)
    return frame
