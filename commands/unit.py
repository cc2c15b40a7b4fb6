"""A unit of work: the aggregates one command loads and changes, saved together or not at all."""

from __future__ import annotations

import copy
import hmac
from collections.abc import Mapping, Set
from hashlib import sha256
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate

from commands.errors import AgentNotFound, AlreadyClaimed, ManagerNotFound, VersionMismatch
from commands.records import HierarchyLock, UniqueKey
from domain.agent import Agent

MAX_DEPTH = 1000
"""A manager chain longer than this means the stored hierarchy is corrupt."""


class Unit:
    """Loads aggregates once, remembers every aggregate to save, and claims unique values
    (as keyed digests under `index_key`).

    In a batch, `earlier` holds the aggregates as the batch's earlier commands left them: the
    unit works on copies of those instead of the stored state, so a command that fails
    leaves them as they were."""

    def __init__(self, repository: Repository[UUID], index_key: bytes,
                 expected_version: int | None,
                 earlier: Mapping[UUID, Aggregate] | None = None) -> None:
        self._repository = repository
        self._index_key = index_key
        self._expected_version = expected_version
        self._earlier = earlier or {}
        self._loaded: dict[UUID, Aggregate] = {}
        self._new: list[Aggregate] = []
        self._claims: list[UniqueKey] = []

    def _load(self, aggregate_id: UUID) -> Aggregate | None:
        if aggregate_id not in self._loaded:
            if aggregate_id in self._earlier:
                self._loaded[aggregate_id] = copy.deepcopy(self._earlier[aggregate_id])
                return self._loaded[aggregate_id]
            try:
                self._loaded[aggregate_id] = self._repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        return self._loaded[aggregate_id]

    def agent(self, agent_id: UUID) -> Agent:
        """The agent with `agent_id`, or `AgentNotFound`."""
        found = self._load(agent_id)
        if not isinstance(found, Agent):
            raise AgentNotFound(agent_id)
        return found

    def target(self, agent_id: UUID) -> Agent:
        """The agent the command is about, at the version the request expects (if any)."""
        agent = self.agent(agent_id)
        if self._expected_version is not None and agent.version != self._expected_version:
            raise VersionMismatch(self._expected_version, agent.version)
        return agent

    def manager(self, manager_id: UUID) -> Agent:
        """The agent who is to be a manager, or `ManagerNotFound`."""
        try:
            return self.agent(manager_id)
        except AgentNotFound:
            raise ManagerNotFound(manager_id) from None

    def chain(self, agent: Agent) -> list[UUID]:
        """The ids of `agent`'s managers, its own manager first, the root last."""
        chain: list[UUID] = []
        manager_id = agent.manager_id
        while manager_id is not None and len(chain) < MAX_DEPTH:
            chain.append(manager_id)
            manager_id = self.agent(manager_id).manager_id
        return chain

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._index_key, f"{kind}:{value}".encode(), sha256).hexdigest()

    def claim(self, kind: str, value: str, owner_id: UUID) -> None:
        """Claim `value` of `kind` for `owner_id`; saving the unit fails if it is held."""
        self._claims.append(UniqueKey(kind=kind, digest=self._digest(kind, value),
                                      owner_id=owner_id))

    @property
    def claims(self) -> list[UniqueKey]:
        """The values this unit claims."""
        return list(self._claims)

    def check_claims(self) -> None:
        """Raise `AlreadyClaimed` for the first claimed value another agent already holds."""
        for key in self._claims:
            if key.id in self._repository:
                raise AlreadyClaimed(key.kind)

    def check_batch_claims(self, taken: Set[UUID]) -> None:
        """Raise `AlreadyClaimed` for the first claimed value held already: in the store
        (the claims of `taken`) or by an earlier command of the batch."""
        for key in self._claims:
            if key.id in taken or key.id in self._earlier:
                raise AlreadyClaimed(key.kind)

    def owner(self, kind: str, value: str) -> UUID:
        """The agent holding `value` of `kind`, or `AgentNotFound`."""
        key = self._load(UniqueKey.create_id(kind, self._digest(kind, value)))
        if not isinstance(key, UniqueKey):
            raise AgentNotFound(value)
        return key.owner_id

    def lock_hierarchy(self, agent_id: UUID) -> None:
        """Take the hierarchy lock for a move of `agent_id`, so racing moves conflict."""
        lock = self._load(HierarchyLock.ID)
        if lock is None:
            lock = self._loaded[HierarchyLock.ID] = HierarchyLock()
        assert isinstance(lock, HierarchyLock)
        lock.record_move(agent_id)

    def add(self, aggregate: Aggregate) -> None:
        """Save `aggregate` with the rest of the unit."""
        self._new.append(aggregate)

    def pending(self) -> list[Aggregate]:
        """Every aggregate with events to save."""
        return [*self._new, *self._claims,
                *(a for a in self._loaded.values() if a.pending_events)]
