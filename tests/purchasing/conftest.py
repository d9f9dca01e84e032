import pytest

from inventory.enums import SlotType
from tests.factories import SlotFactory, WarehouseFactory
from tests.inventory.support import Site


@pytest.fixture
def site(db) -> Site:
    warehouse = WarehouseFactory(code="SH", name="上海仓")

    def slot(code, slot_type=SlotType.PICK, sequence=0):
        return SlotFactory(
            warehouse=warehouse,
            code=code,
            zone=code.split("-")[0],
            slot_type=slot_type,
            pick_sequence=sequence,
        )

    return Site(
        warehouse=warehouse,
        receiving=slot("R-00-00-1", SlotType.RECEIVING, 0),
        pick_a=slot("A-01-01-1", sequence=10),
        pick_b=slot("A-01-02-1", sequence=20),
        pick_c=slot("A-02-01-1", sequence=30),
        reserve=slot("B-01-01-1", SlotType.RESERVE, 100),
        returns=slot("T-00-00-1", SlotType.RETURNS, 200),
        quarantine=slot("Q-00-00-1", SlotType.QUARANTINE, 300),
        packing=slot("P-00-00-1", SlotType.PACKING, 400),
    )
