"""The gateway is the only code that imports `requests`, and the rest imports it from its package face."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "node_modules", "staticfiles", ".git", "bench"}


def _imports_requests(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "requests" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "requests":
            return True
    return False


def test_only_the_gateway_imports_requests():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIP:
            continue
        if relative.parts[:2] == ("chorusweb", "factpulse"):
            continue
        if _imports_requests(path):
            offenders.append(str(relative))
    assert offenders == []


def test_the_gateway_does_import_requests():
    assert _imports_requests(ROOT / "chorusweb" / "factpulse" / "client.py")  # the scan can fail


def _private_gateway_imports(path: Path) -> list[str]:
    """`chorusweb.factpulse.<module>` imported by `path` (the package face itself is fine)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        found += [name for name in names if name.startswith("chorusweb.factpulse.")]
    return found


def test_code_outside_the_gateway_imports_only_its_package_face():
    """`from chorusweb.factpulse import X`, never `from chorusweb.factpulse.client import X`
    (the gateway's own tests, in tests/factpulse, may reach its modules)."""
    offenders = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIP - {"tests", "bench"} or relative.parts[:2] in {
            ("chorusweb", "factpulse"),
            ("tests", "factpulse"),
        }:
            continue
        if found := _private_gateway_imports(path):
            offenders[str(relative)] = found
    assert offenders == {}
    assert _private_gateway_imports(ROOT / "tests" / "factpulse" / "conftest.py")  # the scan can fail
