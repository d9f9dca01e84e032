"""The category tree: serialised writes, depth limit, moves, deletes, renumbering and counts."""

import random
import threading
from collections import Counter, defaultdict
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from catalog import services
from catalog.exceptions import CategoryTreeError
from catalog.models import Category, Product
from catalog.selectors import category_queryset_with_counts
from tests.factories import CategoryFactory, ProductFactory, leaf_category


def numbering() -> dict[int, tuple[int, int, int, int]]:
    """Return every node's (tree number, lft, rght, level).

    Trees are numbered by the rank of their tree_id: moving a 大类 into another tree leaves a
    gap in tree ids, which is valid, while mptt's rebuild() numbers trees 1, 2, 3…
    """
    rows = Category.objects.values_list("pk", "tree_id", "lft", "rght", "level")
    rank = {tree_id: n for n, tree_id in enumerate(sorted({row[1] for row in rows}), start=1)}
    return {pk: (rank[tree_id], lft, rght, level) for pk, tree_id, lft, rght, level in rows}


def assert_tree_valid() -> None:
    """Check the nested-set invariants from the parent links, then against mptt's rebuild()."""
    rows = list(Category.objects.values_list("pk", "parent_id", "tree_id", "lft", "rght", "level"))
    parent_of = {pk: parent_id for pk, parent_id, *_ in rows}
    subtree_size = Counter()
    depth = {}
    for pk in parent_of:
        node, level = pk, 0
        while node is not None:
            subtree_size[node] += 1
            node = parent_of[node]
            level += 1
        depth[pk] = level - 1

    edges_by_tree = defaultdict(list)
    for pk, _parent_id, tree_id, lft, rght, level in rows:
        assert level == depth[pk], f"category {pk} has level {level}, expected {depth[pk]}"
        assert rght - lft + 1 == 2 * subtree_size[pk], f"category {pk} spans {lft}..{rght}"
        edges_by_tree[tree_id] += [lft, rght]
    for tree_id, edges in edges_by_tree.items():
        assert sorted(edges) == list(range(1, len(edges) + 1)), f"tree {tree_id} is not numbered"

    before = numbering()
    Category.objects.rebuild()
    assert numbering() == before


def run_in_threads(jobs) -> list[Exception]:
    """Start every job at the same moment, each on its own thread and connection."""
    barrier = threading.Barrier(len(jobs))
    errors: list[Exception] = []

    def work(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return errors


def concurrent_writers() -> list:
    """Eight writers that insert under one shared parent, under their own parents and new roots."""
    tops = [CategoryFactory(name=f"大类{i}", code=f"TOP{i}") for i in range(2)]
    shared = CategoryFactory(name="共享中类", code="SHARED", parent=tops[0])
    own = [CategoryFactory(name=f"中类{i}", code=f"MID{i}", parent=tops[i % 2]) for i in range(4)]

    def writer(i: int):
        def job():
            for j in range(4):
                services.category_create(name=f"共享{i}-{j}", code=f"S{i}-{j}", parent=shared)
                services.category_create(name=f"自有{i}-{j}", code=f"O{i}-{j}", parent=own[i % 4])
                root = services.category_create(name=f"根{i}-{j}", code=f"R{i}-{j}")
                services.category_create(name=f"子{i}-{j}", code=f"C{i}-{j}", parent=root)

        return job

    return [writer(i) for i in range(8)]


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_leave_the_tree_valid():
    errors = run_in_threads(concurrent_writers())

    assert errors == []
    assert Category.objects.count() == 2 + 1 + 4 + 8 * 4 * 4
    assert Category.objects.get(code="SHARED").get_children().count() == 32
    assert_tree_valid()


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_and_inserts_leave_the_tree_valid():
    tops = [CategoryFactory(name=f"大类{i}", code=f"TOP{i}") for i in range(2)]
    middles = [CategoryFactory(name=f"中类{i}", code=f"MID{i}", parent=tops[0]) for i in range(4)]
    for middle in middles:
        CategoryFactory(name=f"{middle.name}小类", parent=middle)

    def mover(middle):
        def job():
            for n in range(6):
                services.category_update(category=middle, parent=tops[(n + 1) % 2])

        return job

    def inserter(i):
        def job():
            for j in range(6):
                services.category_create(name=f"新{i}-{j}", code=f"N{i}-{j}", parent=tops[j % 2])
                services.category_create(name=f"根{i}-{j}", code=f"R{i}-{j}")

        return job

    errors = run_in_threads([*map(mover, middles), *map(inserter, range(4))])

    assert errors == []
    assert Category.objects.count() == 2 + 4 + 4 + 4 * 6 * 2
    assert_tree_valid()


@pytest.mark.django_db(transaction=True)
def test_a_product_and_a_sub_category_racing_for_one_leaf_never_both_win():
    for round_ in range(6):
        leaf = CategoryFactory(name=f"小类{round_}")
        jobs = [
            partial(services.product_create, code=f"P{round_}", name="薯片", category=leaf),
            partial(services.category_create, name="子类", code=f"C{round_}", parent=leaf),
        ]

        errors = run_in_threads(jobs)

        assert len(errors) <= 1
        assert all(isinstance(error, CategoryTreeError) for error in errors)
        leaf.refresh_from_db()
        assert not (leaf.products.exists() and leaf.get_children().exists())


def _tree_lock_held() -> bool:
    """Whether this connection holds the category tree's advisory lock (PostgreSQL's pg_locks)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            " AND granted AND ((classid::bigint << 32) | objid::bigint) = %s",
            [services.CATEGORY_TREE_LOCK_KEY],
        )
        return cursor.fetchone()[0] == 1


@pytest.mark.django_db
def test_every_tree_write_holds_the_tree_lock_while_mptt_renumbers(monkeypatch):
    """Guard for the lock the race tests above rely on: each service that changes the tree
    (create, move, rename, delete, rebuild) runs mptt's renumbering under the advisory lock."""
    seen: list[tuple[str, bool]] = []
    manager = type(Category._tree_manager)
    spied = [
        (manager, "_create_space"),
        (manager, "_close_gap"),
        (manager, "_move_node"),
        (services, "_number_tree"),  # the batched rebuild's numbering
    ]
    for owner, name in spied:
        original = getattr(owner, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            seen.append((_name, _tree_lock_held()))
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, spy)

    top = services.category_create(name="大类", code="TOP")
    other = services.category_create(name="另一大类", code="OTHER")
    middle = services.category_create(name="中类", code="MID", parent=top)
    services.category_update(category=middle, name="中类改名", parent=other)
    services.category_delete(category=Category.objects.get(pk=middle.pk))
    services.category_tree_rebuild()

    assert {name for name, _held in seen} >= {"_create_space", "_move_node", "_number_tree"}
    assert [name for name, held in seen if not held] == []


@pytest.mark.django_db
def test_depth_limit_refuses_a_fourth_level_with_a_clear_message():
    minor = leaf_category(name="绿茶")

    with pytest.raises(CategoryTreeError) as error:
        services.category_create(name="龙井", code="LJ", parent=minor)

    assert str(error.value) == (
        "龙井 cannot go under 绿茶: the category tree is limited to 3 levels "
        "and 龙井 would be on level 4."
    )
    assert not Category.objects.filter(code="LJ").exists()


@pytest.mark.django_db
def test_depth_limit_follows_the_setting(settings):
    settings.CATALOG_MAX_DEPTH = 2
    top = CategoryFactory()
    middle = CategoryFactory(parent=top)

    with pytest.raises(CategoryTreeError, match="limited to 2 levels"):
        services.category_create(name="第三层", code="L3", parent=middle)


@pytest.mark.django_db
def test_a_category_with_products_cannot_get_sub_categories():
    top = CategoryFactory()
    middle = CategoryFactory(name="零食", parent=top)
    services.product_create(code="P1", name="薯片", category=middle)

    with pytest.raises(CategoryTreeError) as error:
        services.category_create(name="膨化", code="NEW", parent=middle)

    assert str(error.value) == (
        "零食 has products; products hang on leaf categories only, "
        "so it cannot get sub-categories. Move its products first."
    )


@pytest.mark.django_db
def test_products_go_on_leaves_only_even_through_a_stale_category_instance():
    top = CategoryFactory(name="食品")
    CategoryFactory(name="饮料", parent=top)  # `top` in memory still looks like a leaf

    with pytest.raises(CategoryTreeError) as error:
        services.product_create(code="P1", name="可乐", category=top)

    assert str(error.value) == (
        "食品 has sub-categories; choose a leaf category (小类) for products."
    )
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_created_category_and_its_parent_reflect_the_new_numbering():
    top = CategoryFactory()
    child = services.category_create(name="中类", code="M", parent=top)

    assert child.level == 1
    assert child.parent.get_descendant_count() == 1
    assert child.get_ancestors().get() == top


@pytest.mark.django_db
def test_moving_a_subtree_keeps_its_products_and_the_tree_valid():
    food, drinks = CategoryFactory(name="食品"), CategoryFactory(name="饮料")
    snacks = CategoryFactory(name="零食", parent=food)
    chips = CategoryFactory(name="薯片", parent=snacks)
    tea = CategoryFactory(name="茶", parent=drinks)
    products = ProductFactory.create_batch(3, category=chips)

    moved = services.category_update(category=snacks, parent=drinks)

    assert moved.parent == drinks
    assert moved.level == 1
    chips.refresh_from_db()
    assert chips.path == "饮料 > 零食 > 薯片"
    assert set(chips.products.all()) == set(products)
    drinks.refresh_from_db()
    assert list(drinks.get_children()) == [tea, moved]
    food.refresh_from_db()
    assert not food.get_children().exists()
    assert_tree_valid()


@pytest.mark.django_db
def test_moving_a_middle_class_to_the_top_makes_it_a_root():
    food = CategoryFactory(name="食品")
    snacks = CategoryFactory(name="零食", parent=food)
    CategoryFactory(name="薯片", parent=snacks)

    moved = services.category_update(category=snacks, parent=None)

    assert moved.is_root_node()
    assert [c.level for c in moved.get_descendants(include_self=True)] == [0, 1]
    assert_tree_valid()


@pytest.mark.django_db
def test_renaming_reorders_siblings_and_keeps_the_tree_valid():
    top = CategoryFactory()
    first = CategoryFactory(name="a", parent=top)
    CategoryFactory(name="b", parent=top)
    CategoryFactory(name="x", parent=first)

    services.category_update(category=first, name="c")

    top.refresh_from_db()
    assert [c.name for c in top.get_children()] == ["b", "c"]
    assert_tree_valid()


@pytest.mark.django_db
def test_moving_a_category_under_itself_or_its_descendant_is_refused():
    top = CategoryFactory(name="食品")
    middle = CategoryFactory(name="零食", parent=top)
    minor = CategoryFactory(name="薯片", parent=middle)

    for target in (top, middle, minor):
        with pytest.raises(CategoryTreeError) as error:
            services.category_update(category=top, parent=target)
        assert str(error.value) == "食品 cannot be moved under itself or its own sub-category."
    assert_tree_valid()


@pytest.mark.django_db
def test_moving_a_subtree_that_would_exceed_the_depth_limit_is_refused():
    food = CategoryFactory(name="食品")
    snacks = CategoryFactory(name="零食", parent=food)
    CategoryFactory(name="薯片", parent=snacks)
    drinks = CategoryFactory(name="饮料")
    tea = CategoryFactory(name="茶", parent=drinks)

    with pytest.raises(CategoryTreeError) as error:
        services.category_update(category=snacks, parent=tea)

    assert str(error.value) == (
        "零食 cannot go under 茶: the category tree is limited to 3 levels "
        "and its sub-categories would reach level 4."
    )
    with pytest.raises(CategoryTreeError, match="would reach level 4"):
        services.category_update(category=food, parent=drinks)
    snacks.refresh_from_db()
    assert snacks.parent == food


@pytest.mark.django_db
def test_moving_a_leaf_under_a_minor_class_is_refused_but_under_a_middle_class_allowed():
    drinks = CategoryFactory(name="饮料")
    tea = CategoryFactory(name="茶", parent=drinks)
    green = CategoryFactory(name="绿茶", parent=tea)
    lone = CategoryFactory(name="单独")

    with pytest.raises(CategoryTreeError, match="would be on level 4"):
        services.category_update(category=lone, parent=green)
    moved = services.category_update(category=lone, parent=tea)

    assert moved.level == 2
    assert_tree_valid()


@pytest.mark.django_db
def test_moving_a_category_under_a_parent_with_products_is_refused():
    with_products = CategoryFactory(parent=CategoryFactory())
    services.product_create(code="P1", name="薯片", category=with_products)
    lone = CategoryFactory(name="单独")

    with pytest.raises(CategoryTreeError, match="has products"):
        services.category_update(category=lone, parent=with_products)


@pytest.mark.django_db
def test_sibling_names_are_unique_on_create_move_and_at_the_top():
    top = CategoryFactory(name="食品")
    CategoryFactory(name="零食", parent=top)
    other = CategoryFactory(name="饮料")
    snacks_elsewhere = CategoryFactory(name="零食", parent=other)

    with pytest.raises(CategoryTreeError, match="already a category named 零食 here"):
        services.category_create(name="零食", code="DUP", parent=top)
    with pytest.raises(CategoryTreeError, match="already a category named 食品 here"):
        services.category_create(name="食品", code="DUP")
    with pytest.raises(CategoryTreeError, match="already a category named 零食 here"):
        services.category_update(category=snacks_elsewhere, parent=top)


@pytest.mark.django_db
def test_a_duplicate_code_is_a_field_error_and_leaves_the_tree_alone():
    top = CategoryFactory(code="FOOD")
    other = CategoryFactory(parent=top)
    before = numbering()

    with pytest.raises(ValidationError) as error:
        services.category_create(name="饮料", code="FOOD", parent=top)
    assert error.value.message_dict == {"code": ["Category with this Code already exists."]}
    with pytest.raises(ValidationError):
        services.category_update(category=other, code="FOOD", parent=None)

    assert numbering() == before


@pytest.mark.django_db
def test_deleting_a_category_with_children_or_products_is_refused():
    product = ProductFactory()
    leaf = product.category

    for category in (leaf, leaf.parent, leaf.parent.parent):
        with pytest.raises(CategoryTreeError, match="still has sub-categories or products"):
            services.category_delete(category=category)
    assert Category.objects.count() == 3


@pytest.mark.django_db
def test_deleting_a_leaf_closes_the_gap():
    top = CategoryFactory()
    first = CategoryFactory(parent=top)
    CategoryFactory(parent=top)

    services.category_delete(category=first)

    top.refresh_from_db()
    assert top.get_children().count() == 1
    assert_tree_valid()


def build_random_tree(rng: random.Random, size: int) -> list[Category]:
    """Create ``size`` categories at random places, with clashing sort orders and mixed names."""
    names = ["饮料", "Zebra", "apple", "茶", "B", "零食", "a", "中类", "Ω", "10", "9"]
    nodes: list[Category] = []
    for n in range(size):
        candidates = [c for c in nodes if c.level < 2]
        parent = rng.choice([None, *candidates])
        fresh = Category.objects.get(pk=parent.pk) if parent else None
        siblings = set(Category.objects.filter(parent=fresh).values_list("name", flat=True))
        name = f"{rng.choice(names)}{n % 3}"
        while name in siblings:
            name += "+"
        nodes.append(
            services.category_create(
                name=name, code=f"R{n}", parent=fresh, sort_order=rng.choice([0, 0, 1, 5, -2])
            )
        )
    return nodes


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_category_tree_rebuild_numbers_the_tree_like_mptt_rebuild(seed):
    build_random_tree(random.Random(seed), 40)
    built_by_inserts = numbering()
    Category.objects.update(lft=0, rght=0, level=0, tree_id=0)

    services.category_tree_rebuild()

    rebuilt = numbering()
    assert rebuilt == built_by_inserts
    Category.objects.rebuild()
    assert numbering() == rebuilt


@pytest.mark.django_db
def test_category_tree_rebuild_is_a_no_op_on_a_valid_tree():
    build_random_tree(random.Random(7), 15)
    before = numbering()

    services.category_tree_rebuild()

    assert numbering() == before


@pytest.mark.django_db
def test_category_tree_rebuild_refuses_a_cycle_and_changes_nothing():
    top = CategoryFactory()
    middle = CategoryFactory(parent=top)
    Category.objects.filter(pk=top.pk).update(parent=middle)
    before = numbering()

    with pytest.raises(CategoryTreeError, match="cycle"):
        services.category_tree_rebuild()

    assert numbering() == before


@pytest.mark.django_db
def test_counts_match_a_brute_force_count(django_assert_max_num_queries):
    rng = random.Random(11)
    build_random_tree(rng, 30)
    leaves = [c for c in Category.objects.all() if c.is_leaf_node()]
    for leaf in rng.sample(leaves, k=min(8, len(leaves))):
        ProductFactory.create_batch(rng.randint(1, 4), category=leaf)

    parent_of = dict(Category.objects.values_list("pk", "parent_id"))
    own = Counter(Product.objects.values_list("category_id", flat=True))
    total = Counter()
    for category_id, count in own.items():
        node = category_id
        while node is not None:
            total[node] += count
            node = parent_of[node]

    with django_assert_max_num_queries(1):
        rows = list(category_queryset_with_counts())

    assert len(rows) == len(parent_of)
    for row in rows:
        assert (row.product_count, row.total_product_count) == (own[row.pk], total[row.pk])
