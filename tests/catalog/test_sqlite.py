"""The embedded first run uses SQLite: a catalogue import and its update work there too."""

from tests.sqlite import sqlite_migrated, sqlite_run

SCENARIO = """
import io
import openpyxl
from catalog.importing import catalog_import
from catalog.models import SKU, Attribute, AttributeValue

Attribute.objects.create(code="colour", name="颜色", value_type="choice",
    options=["红", "蓝"], use_variant=True)
Attribute.objects.create(code="material", name="材质", value_type="text")
headers = ["sku", "product", "name", "category", "retail_price", "attr:colour",
    "attr:material"]

def book(price, colour):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "products"
    sheet.append(headers)
    sheet.append(["S1", "P1", "T恤", "服装 > 上衣 > T恤", price, colour, "棉"])
    sheet.append(["S2", "P1", "T恤", "服装 > 上衣 > T恤", price, "蓝", "棉"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

first = catalog_import(source=book(59, "红"))
second = catalog_import(source=book(69, "蓝"))
third = catalog_import(source=book(69, "蓝"))
sku = SKU.objects.get(code="S1")
print(first.new, second.changed, third.unchanged, sku.retail_price,
    AttributeValue.objects.get(sku=sku).value_text, sku.history.count(),
    sku.history.first().retail_price, AttributeValue.objects.count())
"""


def test_a_catalogue_import_and_its_update_run_on_sqlite(tmp_path):
    _database, env = sqlite_migrated(tmp_path)
    result = sqlite_run(env, SCENARIO)
    assert result.returncode == 0, result.stderr
    # new, changed, unchanged, price, colour, history rows of S1, latest price, values
    expected = "2 2 2 69.00 蓝 2 69.00 3"
    assert result.stdout.splitlines()[-1] == expected
