"""Every PromQL query roster ships: each dashboard panel's and each alert's, with their names."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "rules.yml"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"

_FUNCTIONS = frozenset({"sum", "max", "min", "rate", "increase", "histogram_quantile", "by",
                        "on", "or", "and", "vector", "le"})
_NAME = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=[{\[)]|$|\s)")


@dataclass(frozen=True)
class Query:
    """One query as shipped: where it comes from (`panel` or `alert`), its title and PromQL."""

    kind: str
    title: str
    expr: str

    def metric_names(self) -> set[str]:
        """The metric names the query reads (label names and functions left out)."""
        without_matchers = re.sub(r"\{[^}]*\}", "{}", self.expr)
        without_groupings = re.sub(r"\b(by|on|without)\s*\([^)]*\)", "", without_matchers)
        names = {m for m in _NAME.findall(without_groupings) if not m.isdigit()}
        return {n for n in names if n not in _FUNCTIONS and not re.fullmatch(r"\d+[smhd]", n)}


def panels() -> list[Query]:
    """Every target of every panel of every dashboard."""
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        dashboard: dict[str, Any] = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                found.append(Query("panel", f"{panel['title']} [{target['refId']}]",
                                   target["expr"]))
    return found


def alerts() -> list[Query]:
    """Every alert rule's expression."""
    groups: list[dict[str, Any]] = yaml.safe_load(RULES.read_text())["groups"]
    return [Query("alert", rule["alert"], " ".join(rule["expr"].split()))
            for group in groups for rule in group["rules"]]
