import hashlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F
from django.test import override_settings

from catalog.demo import (
    SCALES,
    catalog_reset,
    category_rows_deduplicated,
    ean13_from_serial,
    seed_catalog,
)
from catalog.enums import AttributeUse, ProductStatus
from catalog.models import (
    SKU,
    USE_FIELDS,
    Attribute,
    AttributeValue,
    BundleComponent,
    Category,
    CategoryAttribute,
    Product,
)
from catalog.selectors import bundle_cost, completeness_prefetch, products_completeness
from catalog.validators import validate_ean13

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def small_is_tiny(monkeypatch):
    """Make ``--scale small`` generate the tiny catalog, for tests of the command's behaviour."""
    monkeypatch.setitem(SCALES, "small", SCALES["tiny"])


@pytest.fixture(scope="class")
def tiny_catalog(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed the tiny catalog once for a class of tests and roll it back after the last one.

    Each test still runs in its own savepoint inside this transaction, as with Django's
    ``TestCase.setUpTestData``.
    """
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        seed_catalog(scale="tiny")
        yield
        transaction.set_rollback(True)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def sku_digest() -> str:
    rows = SKU.objects.order_by("code").values_list(
        "code",
        "name",
        "barcode",
        "retail_price",
        "distribution_price",
        "cost_price",
        "weight_g",
        "length_mm",
        "product__category__code",
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def catalog_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Category, Product, SKU, Attribute, CategoryAttribute, AttributeValue)
    }


@pytest.mark.usefixtures("tiny_catalog")
class TestTheTinyDemoCatalog:
    """Read-only checks that share one seeded catalog (seeding takes a second or two)."""

    def test_seeded_tree_numbering_matches_the_parent_links(self):
        nodes = {c.pk: c for c in Category.objects.all()}
        children: dict[int | None, list[int]] = {}
        for node in nodes.values():
            children.setdefault(node.parent_id, []).append(node.pk)

        def descendants_by_links(pk: int) -> set[int]:
            found, stack = set(), list(children.get(pk, []))
            while stack:
                child = stack.pop()
                found.add(child)
                stack.extend(children.get(child, []))
            return found

        roots = children[None]
        assert len({nodes[pk].tree_id for pk in roots}) == len(roots) == 21
        for node in nodes.values():
            by_range = {
                other.pk
                for other in nodes.values()
                if other.tree_id == node.tree_id and node.lft < other.lft < node.rght
            }
            assert by_range == descendants_by_links(node.pk), node.code
            assert node.rght - node.lft + 1 == 2 * (len(by_range) + 1)
            if node.parent_id is None:
                assert (node.lft, node.level) == (1, 0)
            else:
                parent = nodes[node.parent_id]
                assert node.level == parent.level + 1
                assert node.tree_id == parent.tree_id

    def test_cat_mall_phones_carry_their_real_attributes(self):
        mate = Product.objects.get(code="CM-SPU1")
        assert mate.category.code == "CM225"
        assert mate.skus.count() == 18
        values = {v.attribute.code: v.display_value for v in mate.attribute_values.all()}
        assert values["network_model"] == "LIO-AN00"
        assert values["body_length"] == "158.1 mm"
        assert values["screen_size"] == "6.53 英寸"
        sku = SKU.objects.get(code="CM-SKU4")
        assert sku.retail_price == 5899
        sku_values = {v.attribute.code: v.display_value for v in sku.attribute_values.all()}
        assert sku_values == {"color": "星河银", "edition": "8GB+128GB"}
        required = set(
            CategoryAttribute.objects.filter(category=mate.category, is_required=True).values_list(
                "attribute__code", flat=True
            )
        )
        assert {"color", "edition"} <= required
        assert Attribute.objects.get(code="color").use_variant
        assert Attribute.objects.get(code="screen_ppi").use_web_filter

    def test_every_staff_use_has_attributes(self):
        for use in AttributeUse.values:
            assert Attribute.objects.filter(**{USE_FIELDS[use]: True}).exists(), use

    def test_generated_products_are_plausible(self):
        skus = list(SKU.objects.filter(is_bundle=False))
        for barcode in {s.barcode for s in skus} - {None}:
            validate_ean13(barcode)
        priced = [s for s in skus if s.cost_price is not None]
        ordered = [s for s in priced if s.retail_price >= s.distribution_price >= s.cost_price]
        assert len(ordered) >= 0.95 * len(priced)
        assert all(s.weight_g and s.length_mm and s.width_mm and s.height_mm for s in skus)
        roles = dict(Product.objects.order_by().values_list("role").annotate(n=Count("pk")))
        assert roles["regular"] > roles["traffic"] > 0
        assert roles["image"] > 0
        assert Product.objects.filter(is_famous=True).exists()
        assert Product.objects.filter(is_new=True).exists()

    def test_listed_products_are_complete_for_the_web(self):
        listed = list(completeness_prefetch(Product.objects.filter(status=ProductStatus.LISTED)))
        assert listed
        for product_id, scopes in products_completeness(listed).items():
            assert scopes["web"].missing == [], product_id

    def test_bundles_are_made_of_plain_skus_and_cost_their_components(self):
        bundles = SKU.objects.filter(is_bundle=True)
        assert bundles.exists()
        assert not BundleComponent.objects.filter(component__is_bundle=True).exists()
        for bundle in bundles:
            assert bundle.components.count() >= 2
            assert bundle.cost_price == bundle_cost(bundle=bundle)


def test_seed_demo_small_loads_the_real_tree_and_about_two_thousand_skus_on_leaves():
    output = seed("--scale", "small")

    levels = dict(Category.objects.order_by().values_list("level").annotate(n=Count("pk")))
    assert levels == {0: 21, 1: 143, 2: 1259}
    assert Category.objects.count() == 1423
    phone = Category.objects.get(code="CM225")
    assert [c.name for c in phone.get_ancestors(include_self=True)] == ["手机", "手机通讯", "手机"]
    assert 2_000 <= SKU.objects.count() <= 2_300
    assert not Product.objects.exclude(category__rght=F("category__lft") + 1).exists()
    assert "大类 21, 中类 143, 小类 1259" in output
    assert "admin" in output


def test_generated_data_is_the_same_for_the_same_seed_and_differs_for_another():
    seed_catalog(scale="tiny", seed=7)
    first = sku_digest()
    catalog_reset()
    seed_catalog(scale="tiny", seed=7)
    assert sku_digest() == first
    catalog_reset()
    seed_catalog(scale="tiny", seed=8)
    assert sku_digest() != first


@pytest.mark.usefixtures("small_is_tiny")
def test_running_seed_demo_twice_skips_the_catalog_instead_of_duplicating_it():
    seed("--scale", "small")
    counts = catalog_counts()

    output = seed("--scale", "small")

    assert catalog_counts() == counts
    assert "already has 1423 categories" in output
    assert get_user_model().objects.filter(username="admin").count() == 1


@pytest.mark.usefixtures("small_is_tiny")
def test_reset_wipes_the_catalog_and_loads_it_again():
    seed_catalog(scale="tiny")
    SKU.objects.filter(code="CM-SKU1").update(name="changed by hand")

    output = seed("--reset", "--seed", "42")

    assert "deleted" in output
    assert SKU.objects.get(code="CM-SKU1").name == "华为 HUAWEI Mate 30 Pro 亮黑色 8GB+128GB"
    assert Category.objects.count() == 1423
    assert SKU.objects.filter(code__startswith="P").count() >= SCALES["tiny"]


@pytest.mark.usefixtures("small_is_tiny")
def test_admin_superuser_is_created_with_the_demo_password(settings):
    settings.DEMO_PASSWORD = "a-demo-secret"
    output = seed("--scale", "small")

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("a-demo-secret")
    assert "a-demo-secret" not in output


def test_unknown_scale_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        seed("--scale", "huge")
    assert "tiny" in SCALES  # tests only: the command does not offer it
    with pytest.raises(CommandError, match="invalid choice"):
        seed("--scale", "tiny")


def test_missing_data_dir_is_a_one_line_error_and_changes_nothing(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "nowhere"

    with pytest.raises(CommandError) as excinfo:
        seed()

    message = str(excinfo.value)
    assert "nowhere" in message and "JINGXI_DATA_DIR" in message
    assert "\n" not in message
    assert not Category.objects.exists()
    assert not get_user_model().objects.filter(username="admin").exists()


def test_reset_with_the_data_dir_missing_keeps_the_existing_catalog(settings, tmp_path):
    seed_catalog(scale="tiny")
    skus = SKU.objects.count()
    settings.DATA_DIR = tmp_path / "nowhere"

    with pytest.raises(CommandError):
        seed("--reset")

    assert SKU.objects.count() == skus


def test_repeated_sibling_names_get_their_id_appended():
    rows = [
        {"cat_id": "9", "name": "配件", "parent_cid": "1"},
        {"cat_id": "3", "name": "配件", "parent_cid": "1"},
        {"cat_id": "4", "name": "配件", "parent_cid": "2"},
    ]

    names = [(r["cat_id"], r["name"]) for r in category_rows_deduplicated(rows)]

    assert names == [("3", "配件"), ("4", "配件"), ("9", "配件 (9)")]


def test_demo_barcodes_are_valid_and_distinct():
    barcodes = [ean13_from_serial(n) for n in range(1, 5_001)]

    assert len(set(barcodes)) == len(barcodes)
    for barcode in barcodes[:100]:
        validate_ean13(barcode)
    with pytest.raises(ValidationError):
        validate_ean13(barcodes[0][:12] + str((int(barcodes[0][12]) + 1) % 10))
