"""Checks on the repository itself: OCA conventions and lint."""

import ast
import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = sorted(p for p in (ROOT / "addons").iterdir() if (p / "__manifest__.py").exists())


def manifest(addon):
    return ast.literal_eval((addon / "__manifest__.py").read_text())


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_addon_follows_oca_conventions(addon):
    values = manifest(addon)
    assert values["license"] == "LGPL-3"
    assert re.fullmatch(r"19\.0\.\d+\.\d+\.\d+", values["version"])
    assert values["author"] == "Retail Connect contributors"
    assert values.get("installable", True)
    assert (addon / "readme" / "DESCRIPTION.md").exists()
    assert (addon / "static" / "description" / "icon.png").exists()
    for data_file in values.get("data", []):
        assert (addon / data_file).exists(), data_file
    assert list((addon / "tests").glob("test_*.py")), "every addon has tests"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_every_new_model_has_access_rules(addon):
    models = set()
    for path in (addon / "models").glob("*.py") if (addon / "models").exists() else []:
        # Abstract models (mixins, services) have no table and need no rule.
        for block in re.split(r"^class ", path.read_text(), flags=re.M)[1:]:
            if "(models.AbstractModel)" not in block.partition("\n")[0]:
                models.update(re.findall(r'^\s+_name = "([\w.]+)"', block, re.M))
    access = addon / "security" / "ir.model.access.csv"
    granted = set()
    if access.exists():
        with access.open() as handle:
            granted = {row["model_id:id"] for row in csv.DictReader(handle)}
    for model in models:
        assert f"model_{model.replace('.', '_')}" in granted, model


def test_no_odoo19_pitfalls():
    pattern = re.compile(
        r"_sql_constraints\s*=|type=['\"]json['\"]|<tree[ >]|\battrs=|\bgroups_id\b"
        r"|def name_get\b|numbercall|\bstates="
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "addons").rglob("*")
        if path.suffix in {".py", ".xml", ".csv"}
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders


def test_addon_python_files_stay_small():
    """One room per concern: a Python file of an addon (tests aside) that
    grows past 500 lines holds more than one job; split it."""
    oversized = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in (ROOT / "addons").rglob("*.py")
        if "tests" not in path.relative_to(ROOT).parts
        and (lines := len(path.read_text().splitlines())) > 500
    ]
    assert not oversized


def test_ruff_lint_and_format():
    subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT, check=True)
    subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."], cwd=ROOT, check=True
    )


def test_pylint_odoo_mandatory_checks():
    subprocess.run(
        [sys.executable, "-m", "pylint", "--rcfile=.pylintrc-mandatory", *map(str, ADDONS)],
        cwd=ROOT,
        check=True,
    )


def test_published_json_schemas_are_current():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import export_json_schemas
    finally:
        sys.path.pop(0)
    expected = export_json_schemas.rendered()
    published = {p.name: p.read_text() for p in (ROOT / "docs" / "schemas").glob("*.json")}
    assert published == expected, "run: python tools/export_json_schemas.py"
    events = {p.name: p.read_text() for p in (ROOT / "docs" / "events").glob("*.json")}
    assert events == export_json_schemas.rendered_events(), (
        "run: python tools/export_json_schemas.py"
    )


def _literal(path, name):
    """The literal value assigned to ``name`` at the top of ``path``."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in {path}")


def test_every_alert_kind_and_hold_reason_has_a_runbook():
    """Alerts, held orders and failure groups link to docs/runbooks/: every
    kind they can link to has its page, with the four parts a page needs."""
    base = ROOT / "addons" / "retail_connector_base"
    runbooks = ROOT / "docs" / "runbooks"
    pages = [
        f"alerts/{kind}.md"
        for kind, _label in _literal(base / "models" / "retail_anomaly_alert.py", "ALERT_KINDS")
    ]
    pages += [
        f"holds/{code}.md"
        for code, _title, _pattern in _literal(base / "triage" / "runbooks.py", "HOLD_REASONS")
    ]
    pages.append(f"holds/{_literal(base / 'triage' / 'runbooks.py', 'OTHER_HOLD')}.md")
    sources = re.findall(
        r'\("(\w+)", "[^"]+", "_triage_collect_\w+"\)',
        (base / "models" / "retail_exception_group_sources.py").read_text(),
    )
    assert sources
    pages += [f"failures/{source}.md" for source in sources if source != "hold"]
    index = (runbooks / "README.md").read_text()
    for page in pages:
        path = runbooks / page
        assert path.exists(), f"docs/runbooks/{page} is missing"
        text = path.read_text()
        for part in ("## What it means", "## How to check", "## How to fix", "## When to escalate"):
            assert part in text, f"docs/runbooks/{page} has no '{part}'"
        assert f"]({page})" in index, f"docs/runbooks/README.md does not list {page}"
