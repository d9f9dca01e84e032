"""The repository runs on its own: nothing in it reads files outside its own tree."""

import re
import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]

# A path into the team's shared folder beside the checkout, however it is spelt.
OUTSIDE = re.compile(
    r"""\.\./shared|parents?\[?\d*\]?\s*/\s*["']shared["']|["']shared["']\s*/\s*["']data"""
)


def _tracked_code() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # Documentation may name the shared design notes; code, settings and scripts may not read them.
    return [
        ROOT / name for name in listed if not name.endswith(".md") and not name.startswith("data/")
    ]


def test_no_tracked_file_reads_outside_the_repository():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _tracked_code()
        if path.is_file() and OUTSIDE.search(path.read_text(encoding="utf-8", errors="ignore"))
    ]
    assert offenders == []


def test_demo_data_ships_with_the_repository_and_its_licences():
    data = Path(settings.BASE_DIR) / "data"
    assert (data / "README.md").is_file()
    assert (data / "cat-mall" / "LICENSE").is_file()
    assert (data / "olist-sample" / "LICENSE.md").is_file()
    assert (data / "cat-mall" / "pms_category.csv").stat().st_size > 40_000
    assert (data / "olist-sample" / "olist_order_items_dataset.csv").stat().st_size > 500_000
