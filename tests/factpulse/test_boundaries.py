"""The gateway is the only code that imports `requests`, and the rest imports it from its package face."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Not the project's code (never walked: .venv alone holds thousands of files).
OUTSIDE = {".venv", "node_modules", "staticfiles", ".git", "test-output"}
#: The gateway's modules, as `from chorusweb.factpulse import <module>` would name them; `types`
#: is part of the package face (chorusweb.factpulse.__all__).
MODULES = {
    f"chorusweb.factpulse.{path.stem}"
    for path in (ROOT / "chorusweb" / "factpulse").glob("*.py")
    if path.stem != "__init__"
}


def _project_files() -> list[Path]:
    """The project's Python files, relative to ROOT."""
    files = [path.relative_to(ROOT) for path in ROOT.glob("*.py")]
    for top in ROOT.iterdir():
        if top.is_dir() and top.name not in OUTSIDE and not top.name.startswith("."):
            files += [path.relative_to(ROOT) for path in top.rglob("*.py")]
    return files


@functools.cache
def _imported(relative: Path) -> tuple[str, ...]:
    """The absolute module names `relative` imports (`import a.b`, `from a.b import c`)."""
    path = ROOT / relative
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
            # `from package import module` imports that module too
            names += [f"{node.module}.{alias.name}" for alias in node.names if f"{node.module}.{alias.name}" in MODULES]
    return tuple(names)


def _imports_requests(relative: Path) -> bool:
    return any(name.split(".")[0] == "requests" for name in _imported(relative))


def test_only_the_gateway_imports_requests():
    offenders = [
        str(relative)
        for relative in _project_files()
        if relative.parts[0] not in {"tests", "bench"}
        and relative.parts[:2] != ("chorusweb", "factpulse")
        and _imports_requests(relative)
    ]
    assert offenders == []


def test_the_gateway_does_import_requests():
    assert _imports_requests(Path("chorusweb", "factpulse", "client.py"))  # the scan can fail


def _private_gateway_imports(relative: Path) -> list[str]:
    """`chorusweb.factpulse.<module>` imported by `relative` (the package face itself is fine)."""
    return [
        name
        for name in _imported(relative)
        if name.startswith("chorusweb.factpulse.") and name != "chorusweb.factpulse.types"
    ]


def test_code_outside_the_gateway_imports_only_its_package_face():
    """`from chorusweb.factpulse import X`, never `from chorusweb.factpulse.client import X`
    (the gateway's own tests, in tests/factpulse, may reach its modules)."""
    offenders = {
        str(relative): found
        for relative in _project_files()
        if relative.parts[:2] not in {("chorusweb", "factpulse"), ("tests", "factpulse")}
        and (found := _private_gateway_imports(relative))
    }
    assert offenders == {}
    assert _private_gateway_imports(Path("tests", "factpulse", "conftest.py"))  # the scan can fail
    assert Path("issuers", "forms.py") in _project_files()  # the walk reaches the apps
