"""Finance's part of ``seed_demo``: invoices and payments for the demo's credit orders,
supplier bills and payments for its receipts, and the closed months of its history.

Each concern seeds itself (``finance/demo_*.py``); this module runs them in order, after
orders and purchasing have seeded theirs.
"""

from finance import demo_month_ends, demo_payables, demo_pricing, demo_receivables

# Month ends last: they close the months the others filled.
DEMO_PARTS: tuple = (demo_pricing, demo_receivables, demo_payables, demo_month_ends)


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in DEMO_PARTS:
        counts |= part.demo_seed(scale=scale, seed=seed, stdout=stdout)
    return counts


def demo_reset() -> None:
    for part in reversed(DEMO_PARTS):
        part.demo_reset()
