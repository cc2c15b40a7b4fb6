"""Small aggregates saved in the same transaction as agent events, so that the event store
itself enforces what must hold across agents: unique values, idempotent requests, one HR
delivery processed once, and hierarchy moves taken one at a time."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "https://roster.invalid/records")


class UniqueKey(Aggregate):
    """Claims a value (PAN, agent code, license number) for one agent; a second claim of the
    same value conflicts on insert. The value is kept only as a keyed digest."""

    class Claimed(Aggregate.Created):
        """The value was claimed."""

        kind: str
        digest: str
        owner_id: UUID

    @staticmethod
    def create_id(kind: str, digest: str) -> UUID:
        """The id of the claim on a value of `kind` whose keyed digest is `digest`."""
        return uuid5(_NAMESPACE, f"unique:{kind}:{digest}")

    @event(Claimed)
    def __init__(self, kind: str, digest: str, owner_id: UUID) -> None:
        self.kind = kind
        self.owner_id = owner_id


class IdempotencyRecord(Aggregate):
    """Remembers the answer to a request made with an idempotency key."""

    class Recorded(Aggregate.Created):
        """The first request with this key succeeded."""

        actor: str
        key: str
        fingerprint: str
        agent_id: UUID
        agent_version: int

    @staticmethod
    def create_id(actor: str, key: str) -> UUID:
        """The id of `actor`'s record of `key`."""
        return uuid5(_NAMESPACE, f"idempotency:{actor}:{key}")

    @event(Recorded)
    def __init__(
        self, actor: str, key: str, fingerprint: str, agent_id: UUID, agent_version: int
    ) -> None:
        self.fingerprint = fingerprint
        self.agent_id = agent_id
        self.agent_version = agent_version


class WebhookDelivery(Aggregate):
    """Marks an inbound webhook delivery as processed, so a replay of it is refused."""

    class Processed(Aggregate.Created):
        """The delivery was processed."""

        sender: str
        delivery_id: str

    @staticmethod
    def create_id(sender: str, delivery_id: str) -> UUID:
        """The id of `sender`'s delivery `delivery_id`."""
        return uuid5(_NAMESPACE, f"delivery:{sender}:{delivery_id}")

    @event(Processed)
    def __init__(self, sender: str, delivery_id: str) -> None:
        self.delivery_id = delivery_id


class HierarchyLock(Aggregate):
    """One stream that every hierarchy move appends to: two moves that both passed the cycle
    check cannot both be saved, so a race never leaves a cycle."""

    ID = uuid5(_NAMESPACE, "hierarchy-lock")

    class Opened(Aggregate.Created):
        """The lock stream began."""

    class MoveRecorded(Aggregate.Event):
        """A move took the lock."""

        agent_id: UUID

    @staticmethod
    def create_id() -> UUID:
        """The single lock's id."""
        return HierarchyLock.ID

    @event(Opened)
    def __init__(self) -> None:
        pass

    @event(MoveRecorded)
    def record_move(self, agent_id: UUID) -> None:
        """Take the lock for a move of `agent_id`."""


class Disclosure(Aggregate):
    """Someone was shown an agent's personal data in full."""

    class Recorded(Aggregate.Created):
        """The disclosure happened."""

        agent_id: UUID
        actor: str
        correlation_id: str

    @event(Recorded)
    def __init__(self, agent_id: UUID, actor: str, correlation_id: str) -> None:
        self.agent_id = agent_id
        self.actor = actor
