"""The hierarchy around an agent: chain to the root, direct reports, and the subtree."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query
from starlette.responses import Response

from projections import cache_marks, hierarchy
from readapi.deps import MinPosition, SnapshotName, Store, Viewer
from readapi.errors import AgentNotFound, SubtreeTooLarge
from readapi.responses import answer
from readapi.schemas import Hierarchy, Subtree
from webkit.openapi import problems

router = APIRouter(prefix="/v1/agents", tags=["hierarchy"])

HIERARCHY = (hierarchy.HierarchyProjection.name,)
MAX_REPORTS = 500
MAX_SUBTREE = 10_000


def _node(n: hierarchy.Node) -> dict[str, Any]:
    return {"agent_id": n.agent_id, "agent_code": n.agent_code, "name": n.name,
            "status": n.status, "depth": n.depth}


@router.get("/{agent_id}/hierarchy", response_model=Hierarchy,
            responses=problems(401, 404, 422, 503))
async def get_hierarchy(agent_id: UUID, store: Store, _: Viewer,
                        min_position: MinPosition = None,
                        snapshot: SnapshotName = None) -> Response:
    """The managers above the agent (root first), its direct reports and its subtree size
    (from a snapshot when one is named)."""
    if snapshot is not None:
        held = await store.snapshot(snapshot, HIERARCHY[0])
        chains, (reports, size) = await store.run(lambda cur: (
            hierarchy.chains(cur, [agent_id]), hierarchy.around(cur, agent_id, MAX_REPORTS)),
            held)
        if agent_id not in chains:
            raise AgentNotFound(agent_id)
        return _hierarchy(agent_id, chains[agent_id][1], reports, size, held.position)
    position = await store.wait(HIERARCHY, min_position)
    (chain,) = await store.documents([cache_marks.chain_key(agent_id)],
                                     fresh=min_position is not None)
    if chain is None:
        raise AgentNotFound(agent_id)
    reports, size = await store.run(lambda cur: hierarchy.around(cur, agent_id, MAX_REPORTS))
    return _hierarchy(agent_id, orjson.Fragment(chain[1]), reports, size, position)


def _hierarchy(agent_id: UUID, chain: Any, reports: list[hierarchy.Node], size: int,
               position: int) -> Response:
    return answer({"agent_id": agent_id, "chain": chain,
                   "direct_reports": [_node(r) for r in reports], "subtree_size": size},
                  position)


@router.get("/{agent_id}/subtree", response_model=Subtree,
            responses=problems(401, 404, 422, 503))
async def get_subtree(
    agent_id: UUID, store: Store, _: Viewer,
    max_depth: Annotated[int, Query(ge=1, le=20, description="Levels below the agent.")] = 3,
    min_position: MinPosition = None,
) -> Response:
    """The agent and everyone below it, down to `max_depth` levels, as a nested tree."""
    position = await store.wait(HIERARCHY, min_position)
    root, below = await store.run(
        lambda cur: hierarchy.subtree(cur, agent_id, max_depth, MAX_SUBTREE + 1))
    if root is None:
        raise AgentNotFound(agent_id)
    if len(below) > MAX_SUBTREE:
        raise SubtreeTooLarge(f"more than {MAX_SUBTREE} agents within {max_depth} levels; "
                              "ask for fewer levels")
    tree = {root.agent_id: {**_node(root), "reports": []}}
    for n in below:
        tree[n.agent_id] = {**_node(n), "reports": []}
        if n.manager_id in tree:
            tree[n.manager_id]["reports"].append(tree[n.agent_id])
    return answer(tree[root.agent_id], position)
