"""axe-core runs: inject the checker, report serious and critical WCAG 2.1 AA violations."""

from __future__ import annotations

from tests.browser.conftest import AXE

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, *, impacts=("serious", "critical")) -> list[str]:
    """The serious and critical violations of the current page, one readable line per node."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_21_AA,
    )
    lines = []
    for violation in result["violations"]:
        if violation["impact"] not in impacts:
            continue
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"{violation['id']} ({violation['impact']}): {target} — {node['failureSummary']}")
    return lines
