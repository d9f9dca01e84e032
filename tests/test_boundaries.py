"""Boundaries the code keeps, which import-linter cannot see: only inventory creates or
locks its stock rows, the app code never swaps a module's clock or functions with
``unittest.mock``, and tests never lean on a demo module's private helpers."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("catalog", "inventory", "purchasing", "orders", "staff", "config")


def _modules(*folders: str) -> list[Path]:
    return [
        path
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_only_inventory_creates_or_locks_warehouse_stock_rows():
    writes = re.compile(
        r"WarehouseStock\((?!\))|WarehouseStock\.objects\.(?:bulk_create|create|get_or_create"
        r"|update_or_create)|WarehouseStock\.objects[^\n]*\n?[^\n]*select_for_update"
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules(*(app for app in APPS if app != "inventory"))
        if writes.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_app_code_never_patches_itself_with_unittest_mock():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules(*APPS)
        if re.search(
            r"^\s*(from unittest import mock|import unittest\.mock|from unittest\.mock)",
            path.read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    ]
    assert offenders == []


def test_no_test_imports_a_private_name_from_a_demo_module():
    offenders = []
    for path in _modules("tests"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[-1] == "demo"
                and any(alias.name.startswith("_") for alias in node.names)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
