"""The README's configuration table and the settings the code reads agree, both ways."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# env("NAME", …), env.int("NAME", …), env.db("NAME", …): every variable the settings read.
READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def _read_by_code() -> set[str]:
    return set(READ.findall((ROOT / "config" / "settings.py").read_text(encoding="utf-8")))


def _documented() -> dict[str, str]:
    """Return {variable or PREFIX_*: its table row} from the README's Configuration section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {
        name: row
        for row in rows
        for name in re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", row.split("|")[1])
    }


def _covers(documented: str, name: str) -> bool:
    if documented.endswith("*"):
        return name.startswith(documented[:-1])
    return documented == name


def test_every_setting_the_code_reads_is_in_the_readme_table():
    documented = _documented()
    missing = sorted(n for n in _read_by_code() if not any(_covers(d, n) for d in documented))
    assert missing == [], "add these to the README's configuration table"


def test_every_variable_in_the_readme_table_is_read_by_the_code():
    read = _read_by_code()
    stale = sorted(d for d in _documented() if not any(_covers(d, n) for n in read))
    assert stale == [], "the README documents variables nothing reads"


def test_the_readme_states_the_real_default_of_debug():
    assert re.search(
        r'env\.bool\("DEBUG", default=False\)', (ROOT / "config/settings.py").read_text()
    )
    assert "`false`" in _documented()["DEBUG"].split("|")[2]
