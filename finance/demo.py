"""Finance's part of ``seed_demo``: invoices and payments for the demo's credit orders,
supplier bills and payments for its receipts, and the closed months of its history.

Each concern seeds itself (``finance/demo_*.py``); this module runs them in order, after
orders and purchasing have seeded theirs.
"""

from finance import demo_pricing

DEMO_PARTS: tuple = (demo_pricing,)


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in DEMO_PARTS:
        counts |= part.demo_seed(scale=scale, seed=seed, stdout=stdout)
    return counts


def demo_reset() -> None:
    for part in reversed(DEMO_PARTS):
        part.demo_reset()
