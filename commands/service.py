"""The application service: loads aggregates, runs one command, saves every change at once.

Each command runs inside `_execute`, which replays a request already answered under the same
idempotency key, checks the expected version, and retries when a concurrent write conflicts.
Commands saved at the same time share one transaction (`commands.group_commit`), and a batch
(`run_batch`) runs many commands one after another on one state and saves them together.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    InterfaceError,
    InternalError,
    JSONTranscoder,
    Mapper,
    OperationalError,
    ProgrammingError,
)
from psycopg_pool import ConnectionPool
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random

from commands import models
from commands.data_keys import DataKeys, MasterKey
from commands.errors import (
    DeliveryReplayed,
    IdempotencyKeyReused,
    StoreUnavailable,
    TooMuchContention,
)
from commands.group_commit import GroupCommitter
from commands.key_recorders import KeyedPostgresRecorder, KeyedSqliteRecorder, with_keyed_recorder
from commands.key_tables import key_table
from commands.positions import position_of
from commands.records import HierarchyLock, IdempotencyRecord, WebhookDelivery
from commands.sealing import SealingMapper
from commands.stores import prepare
from commands.transcodings import register_domain_values
from commands.unit import Unit
from domain.agent import Agent
from domain.errors import DomainError, NothingToChange, RuleBroken
from domain.values import PERSONAL_FIELDS, License, Provenance, Source

T = TypeVar("T")

ATTEMPTS = 12
"""How often a command is retried when concurrent writes conflict with it."""

Change = Callable[[Unit], Agent]
"""What a command does: it changes aggregates of a unit of work and names the agent it is
about."""


def _created(make: Callable[[], T]) -> T:
    """`make()`, which creates tables when missing. Processes starting together on PostgreSQL
    race to create them (`tuple concurrently updated`, a duplicate type, a relation that
    already exists): the loser tries again and finds them there."""
    raced = (InternalError, IntegrityError, ProgrammingError)
    for attempt in Retrying(retry=retry_if_exception_type(raced), stop=stop_after_attempt(5),
                            wait=wait_random(0.05, 0.5), reraise=True):
        with attempt:
            return make()
    raise AssertionError("unreachable: the last attempt raises")


class _Conflict(Exception):
    """A concurrent write conflicted with this attempt; it is worth running again."""


@dataclass(frozen=True)
class Request:
    """Who asks, under which idempotency key and delivery, expecting which agent version."""

    provenance: Provenance
    idempotency_key: str | None = None
    fingerprint: str = ""
    expected_version: int | None = None
    delivery: tuple[str, str] | None = None

    @classmethod
    def by(cls, actor: str, correlation_id: str, source: str = "api", **rest: Any) -> Request:
        """A request from `actor` through `source` (api, hrms or job)."""
        return cls(Provenance(actor, correlation_id, Source(source)), **rest)


@dataclass(frozen=True)
class CommandResult:
    """What a write answers: the agent, its new version, and the event's global position."""

    agent_id: UUID
    version: int
    position: int


Outcome = CommandResult | DomainError
"""How one command of a batch ended: accepted, or refused with the reason."""


def _last(events: list[DomainEventProtocol[UUID]], ids: list[int], agent_id: UUID) -> int:
    """The notification id of the agent's last event among `events` (recorded as `ids`)."""
    return max(i for e, i in zip(events, ids, strict=True) if e.originator_id == agent_id)


@dataclass
class _Step:
    """A command of a batch that ran: its place in the batch, its agent, the aggregates it
    changed and their new events."""

    index: int
    agent: Agent
    aggregates: list[Aggregate]
    events: list[DomainEventProtocol[UUID]] = field(default_factory=list)


class AgentService(Application[UUID]):
    """Runs agent commands against the event store chosen by the environment.

    Besides the `eventsourcing` variables, the environment names the master keys that wrap the
    agents' data keys (`MASTER_KEYS`: base64, comma-separated, the current first), how long
    an unwrapped data key is cached (`DATA_KEY_CACHE_SECONDS`), and how commands are saved
    together (`GROUP_COMMIT`: on or off, `GROUP_COMMIT_WINDOW_MS`, `GROUP_COMMIT_MAX_EVENTS`).
    """

    name = "Roster"
    snapshotting_intervals = {HierarchyLock: 100}

    def __init__(
        self,
        env: Mapping[str, str],
        index_key: bytes,
        today: Callable[[], date] = date.today,
    ) -> None:
        prepare(env)
        super().__init__(with_keyed_recorder(env))
        self.index_key = index_key
        self.today = today
        recorder = self.recorder
        grouped = env.get("GROUP_COMMIT", "on") == "on"
        self._committer = GroupCommitter(
            recorder, int(env.get("GROUP_COMMIT_MAX_EVENTS", "5000")),
            float(env.get("GROUP_COMMIT_WINDOW_MS", "0")) / 1000,
        ) if grouped and isinstance(recorder, KeyedPostgresRecorder | KeyedSqliteRecorder) else None

    @property
    def committer(self) -> GroupCommitter | None:
        """The group committer (None when `GROUP_COMMIT` is off)."""
        return self._committer

    def close(self) -> None:
        """Write what the group committer holds, then close the event store."""
        committer: GroupCommitter | None = getattr(self, "_committer", None)
        if committer is not None:
            committer.close()
        super().close()

    def construct_mapper(self) -> Mapper[UUID]:
        """The store's mapper, sealing personal fields under each agent's data key."""
        base = super().construct_mapper()
        self._keys_table = key_table(getattr(self.factory, "datastore", None))
        masters = [MasterKey(base64.b64decode(k)) for k in self.env["MASTER_KEYS"].split(",")]
        self.data_keys = DataKeys(self._keys_table, masters,
                                  float(self.env.get("DATA_KEY_CACHE_SECONDS", "5")))
        return SealingMapper(self.data_keys, base.transcoder, base.compressor, base.cipher)

    def construct_recorder(self) -> ApplicationRecorder:
        """The events' recorder, its tables (and the data keys' table) made when missing (see
        `_created`)."""
        recorder = _created(super().construct_recorder)
        _created(self._keys_table.create)
        if isinstance(recorder, KeyedPostgresRecorder | KeyedSqliteRecorder):
            recorder.data_keys = self.data_keys
        return recorder

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """The snapshots' store, its table made when missing (see `_created`)."""
        return _created(super().construct_snapshot_store)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Teach the transcoder the domain's value objects."""
        super().register_transcodings(transcoder)
        register_domain_values(transcoder)

    # --- the command loop ---------------------------------------------------------------------

    def _unit(self, expected_version: int | None) -> Unit:
        return Unit(self.repository, self.index_key, expected_version)

    def _execute(self, request: Request, change: Callable[[Unit], Agent]) -> CommandResult:
        try:
            return self._attempt(request, change)
        except (OperationalError, InterfaceError) as error:
            raise StoreUnavailable from error

    def _attempt(self, request: Request, change: Callable[[Unit], Agent]) -> CommandResult:
        for _ in range(ATTEMPTS):
            try:
                return self._answered(request) or self._once(request, change)
            except _Conflict:
                continue
            except DomainError:
                # a concurrent request under the same idempotency key may have won meanwhile
                answered = self._answered(request)
                if answered is None:
                    raise
                return answered
        raise TooMuchContention

    def _once(self, request: Request, change: Callable[[Unit], Agent]) -> CommandResult:
        try:
            return self._saved(request, change)
        finally:
            self.data_keys.discard_pending()

    def _saved(self, request: Request, change: Change) -> CommandResult:
        unit = self._unit(request.expected_version)
        agent = change(unit)
        self._remember(request, unit, agent)
        processing = ProcessingEvent[UUID]()
        processing.collect_events(*unit.pending())
        try:
            ids = self._store(processing)
        except IntegrityError:
            unit.check_claims()
            if request.expected_version is not None:
                self._unit(request.expected_version).target(agent.id)
            raise _Conflict from None
        return CommandResult(agent.id, agent.version, _last(processing.events, ids, agent.id))

    def _store(self, processing: ProcessingEvent[UUID]) -> list[int]:
        """Record the events in one transaction (shared with concurrent commands when grouped)
        and take the snapshots due; the events' notification ids."""
        if self._committer is None:
            ids = [r.notification.id for r in self._record(processing)]
        else:
            events = processing.events
            stored = [self.mapper.to_stored_event(e) for e in events]
            keys = self.data_keys.take_pending({e.originator_id for e in events})
            ids = self._committer.commit(stored, keys)
        self._take_snapshots(processing)
        return ids

    def _answered(self, request: Request) -> CommandResult | None:
        if request.delivery is not None:
            self._check_delivery(request.delivery)
        if request.idempotency_key is None:
            return None
        record_id = IdempotencyRecord.create_id(request.provenance.actor, request.idempotency_key)
        try:
            found: IdempotencyRecord = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        record = found
        if record.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused
        position = position_of(self.recorder, record.agent_id, record.agent_version)
        return CommandResult(record.agent_id, record.agent_version, position)

    def _check_delivery(self, delivery: tuple[str, str]) -> None:
        sender, delivery_id = delivery
        if WebhookDelivery.create_id(sender, delivery_id) in self.repository:
            raise DeliveryReplayed(delivery_id)

    @staticmethod
    def _remember(request: Request, unit: Unit, agent: Agent) -> None:
        if request.delivery is not None:
            unit.add(WebhookDelivery(sender=request.delivery[0], delivery_id=request.delivery[1]))
        if request.idempotency_key is not None:
            unit.add(IdempotencyRecord(
                actor=request.provenance.actor, key=request.idempotency_key,
                fingerprint=request.fingerprint, agent_id=agent.id, agent_version=agent.version,
            ))

    # --- batches ------------------------------------------------------------------------------

    def run(self, request: Request, change: Change) -> CommandResult:
        """Run one command (see `_execute`)."""
        return self._execute(request, change)

    def run_batch(self, items: Sequence[tuple[Request, Change]],
                  delivery: tuple[str, str] | None = None) -> list[Outcome]:
        """Run many commands as if one after another, each on the state the earlier ones left,
        and save the accepted ones in one transaction. Each is answered on its own: a refused
        command changes nothing and holds up none of the others. `delivery` (a webhook's
        sender and delivery id) is recorded with them, and a replay of it is refused."""
        try:
            for _ in range(ATTEMPTS):
                try:
                    return self._batch_once(items, delivery)
                except _Conflict:
                    continue
                finally:
                    self.data_keys.discard_pending()
            raise TooMuchContention
        except (OperationalError, InterfaceError) as error:
            raise StoreUnavailable from error

    def _batch_once(self, items: Sequence[tuple[Request, Change]],
                    delivery: tuple[str, str] | None) -> list[Outcome]:
        if delivery is not None:  # checked on every attempt: a racing replay may have won
            self._check_delivery(delivery)
        outcomes: dict[int, Outcome] = {}
        for index, (request, _) in enumerate(items):
            try:
                if answered := self._answered(request):
                    outcomes[index] = answered
            except DomainError as error:
                outcomes[index] = error
        todo = [index for index in range(len(items)) if index not in outcomes]
        steps, refused, claimed = self._chain(items, todo, frozenset())
        taken = {key for key, _ in self.keyed_recorder.taken(sorted((c, 1) for c in claimed))}
        if taken:  # again, each command refused for the first of its values held anywhere
            steps, refused, _ = self._chain(items, todo, taken)
        outcomes |= refused
        if steps:
            self._save_steps(steps, delivery, outcomes)
        return [outcomes[index] for index in range(len(items))]

    def _chain(self, items: Sequence[tuple[Request, Change]], todo: list[int],
               taken: Set[UUID]) -> tuple[list[_Step], dict[int, DomainError], set[UUID]]:
        """Run the commands at `todo` in order, each on copies of what the earlier left, and
        refuse those claiming a value held already (in the store: the claims of `taken`);
        the steps, the refusals and every claim made (the refused commands' too)."""
        earlier: dict[UUID, Aggregate] = {}
        steps: list[_Step] = []
        refused: dict[int, DomainError] = {}
        claimed: set[UUID] = set()
        for index in todo:
            request, change = items[index]
            unit = Unit(self.repository, self.index_key, request.expected_version, earlier)
            try:
                agent = change(unit)
                self._remember(request, unit, agent)
                unit.check_batch_claims(taken)
            except DomainError as error:
                refused[index] = error
                continue
            finally:
                claimed.update(key.id for key in unit.claims)
            step = _Step(index, agent, unit.pending())
            step.events = [e for a in step.aggregates for e in a.collect_events()]
            earlier.update((a.id, a) for a in step.aggregates)
            steps.append(step)
        return steps, refused, claimed

    def _save_steps(self, steps: list[_Step], delivery: tuple[str, str] | None,
                    outcomes: dict[int, Outcome]) -> None:
        processing = ProcessingEvent[UUID]()
        for step in steps:
            processing.events.extend(step.events)
            processing.aggregates.update((a.id, a) for a in step.aggregates)
        if delivery is not None:
            processing.collect_events(WebhookDelivery(sender=delivery[0],
                                                      delivery_id=delivery[1]))
        try:
            ids = self._store(processing)
        except IntegrityError:
            raise _Conflict from None
        start = 0
        for step in steps:
            end = start + len(step.events)
            position = _last(step.events, ids[start:end], step.agent.id)
            outcomes[step.index] = CommandResult(step.agent.id, step.agent.version, position)
            start = end

    @staticmethod
    def of_code(agent_code: str, make: Callable[[UUID, Unit], Change]) -> Change:
        """The change `make` gives for the agent holding `agent_code` (`AgentNotFound` when
        none does), found in the unit's own state."""
        def change(unit: Unit) -> Agent:
            agent_id = unit.owner("agent_code", agent_code)
            return make(agent_id, unit)(unit)
        return change

    @property
    def keyed_recorder(self) -> KeyedPostgresRecorder | KeyedSqliteRecorder:
        """The event store's recorder, which writes data keys and tells which slots of the log
        are taken."""
        recorder = self.recorder
        assert isinstance(recorder, KeyedPostgresRecorder | KeyedSqliteRecorder)
        return recorder

    # --- hierarchy ----------------------------------------------------------------------------

    @staticmethod
    def _move(
        unit: Unit, agent: Agent, manager_id: UUID | None, reason: str | None, by: Provenance
    ) -> None:
        unit.lock_hierarchy(agent.id)
        previous = agent.manager_id
        agent.change_manager(manager_id, reason, by)
        if manager_id is not None:
            manager = unit.manager(manager_id)
            manager.check_can_take_report(agent.id, unit.chain(manager))
            manager.assign_report(agent.id, by)
        if previous is not None:
            unit.agent(previous).release_report(agent.id, by)

    @staticmethod
    def _leave_manager(unit: Unit, agent: Agent, by: Provenance) -> None:
        if agent.manager_id is not None:
            unit.agent(agent.manager_id).release_report(agent.id, by)

    # --- commands -----------------------------------------------------------------------------

    def onboard(self, cmd: models.OnboardAgent, request: Request) -> CommandResult:
        """Onboard an agent: PAN, Aadhaar, agent code and license numbers must be unused."""
        return self._execute(request, self.onboarding(cmd, request.provenance))

    def onboarding(self, cmd: models.OnboardAgent, by: Provenance) -> Change:
        """The change of `onboard`, for `run` or `run_batch`."""
        def change(unit: Unit) -> Agent:
            manager = unit.manager(cmd.manager_id) if cmd.manager_id else None
            agent = Agent(
                agent_code=cmd.agent_code, first_name=cmd.first_name, last_name=cmd.last_name,
                agent_type=cmd.agent_type, office_code=cmd.office_code, region=cmd.region,
                email=str(cmd.email), phone=cmd.phone, pan=cmd.pan, aadhaar=cmd.aadhaar,
                bank_account=cmd.bank_account, date_of_joining=cmd.date_of_joining,
                manager_id=cmd.manager_id, provenance=by,
            )
            unit.add(agent)
            for kind, value in (("agent_code", cmd.agent_code), ("pan", cmd.pan),
                                ("aadhaar", cmd.aadhaar)):
                unit.claim(kind, value, agent.id)
            for lic in cmd.licenses:
                self._add_license(unit, agent, lic, by)
            if manager is not None:
                manager.check_can_take_report(agent.id, [])
                manager.assign_report(agent.id, by)
            return agent

        return change

    @staticmethod
    def _add_license(unit: Unit, agent: Agent, cmd: models.AddLicense, by: Provenance) -> None:
        unit.claim("license_number", cmd.number, agent.id)
        agent.add_license(License(cmd.number, cmd.license_type, cmd.issued_on, cmd.expires_on), by)

    @staticmethod
    def _acting(agent_id: UUID, act: Callable[[Unit, Agent], None]) -> Change:
        def change(unit: Unit) -> Agent:
            agent = unit.target(agent_id)
            act(unit, agent)
            return agent

        return change

    def _on_agent(
        self, agent_id: UUID, request: Request, act: Callable[[Unit, Agent], None]
    ) -> CommandResult:
        return self._execute(request, self._acting(agent_id, act))

    def update(self, agent_id: UUID, cmd: models.UpdateAgent, request: Request) -> CommandResult:
        """Change profile and contact fields."""
        return self._execute(request, self.updating(agent_id, cmd, request.provenance))

    def updating(self, agent_id: UUID, cmd: models.UpdateAgent, by: Provenance) -> Change:
        """The change of `update`, for `run` or `run_batch`."""
        return self._acting(agent_id, lambda _, a: a.update(cmd.changes(), by))

    def add_license(
        self, agent_id: UUID, cmd: models.AddLicense, request: Request
    ) -> CommandResult:
        """Add a license whose number no agent holds yet."""
        return self._on_agent(agent_id, request,
                              lambda u, a: self._add_license(u, a, cmd, request.provenance))

    def renew_license(
        self, agent_id: UUID, number: str, cmd: models.RenewLicense, request: Request
    ) -> CommandResult:
        """Move a license's expiry."""
        return self._on_agent(agent_id, request, lambda _, a: a.renew_license(
            number, cmd.expires_on, request.provenance))

    def revoke_license(
        self, agent_id: UUID, number: str, cmd: models.Decide, request: Request
    ) -> CommandResult:
        """Revoke a license today."""
        return self._on_agent(agent_id, request, lambda _, a: a.revoke_license(
            number, self.today(), cmd.reason, request.provenance))

    def approve(self, agent_id: UUID, request: Request) -> CommandResult:
        """Approve a pending agent."""
        return self._on_agent(agent_id, request,
                              lambda _, a: a.approve(self.today(), request.provenance))

    def reject(self, agent_id: UUID, cmd: models.Decide, request: Request) -> CommandResult:
        """Reject a pending agent, who leaves its manager's reports."""
        def act(unit: Unit, agent: Agent) -> None:
            agent.reject(cmd.reason, request.provenance)
            self._leave_manager(unit, agent, request.provenance)
        return self._on_agent(agent_id, request, act)

    def suspend(self, agent_id: UUID, cmd: models.Decide, request: Request) -> CommandResult:
        """Suspend an active agent."""
        return self._on_agent(agent_id, request,
                              lambda _, a: a.suspend(cmd.reason, request.provenance))

    def resume(self, agent_id: UUID, cmd: models.Decide, request: Request) -> CommandResult:
        """End a suspension."""
        return self._on_agent(agent_id, request,
                              lambda _, a: a.resume(cmd.reason, request.provenance))

    def terminate(
        self, agent_id: UUID, cmd: models.TerminateAgent, request: Request
    ) -> CommandResult:
        """Terminate an agent, first moving its direct reports where the command says."""
        return self._execute(request, self.terminating(agent_id, cmd, request.provenance))

    def terminating(self, agent_id: UUID, cmd: models.TerminateAgent,
                    by: Provenance) -> Change:
        """The change of `terminate`, for `run` or `run_batch`."""
        def act(unit: Unit, agent: Agent) -> None:
            target = cmd.reassign_reports_to
            if agent.reports and target is not None:
                if target == agent.id:
                    raise RuleBroken("reports cannot be reassigned to the agent being terminated")
                for report_id in sorted(agent.reports):
                    self._move(unit, unit.agent(report_id), target, "manager terminated", by)
            self._leave_manager(unit, agent, by)
            agent.terminate(cmd.reason_code, cmd.reason, target, by)

        return self._acting(agent_id, act)

    def request_reinstatement(
        self, agent_id: UUID, cmd: models.RequestReinstatement, request: Request
    ) -> CommandResult:
        """Ask for a terminated agent to come back."""
        return self._on_agent(agent_id, request, lambda _, a: a.request_reinstatement(
            cmd.reason_code, cmd.reason, request.provenance))

    def approve_reinstatement(self, agent_id: UUID, request: Request) -> CommandResult:
        """Reinstate an agent; the approver must not be the requester."""
        return self._on_agent(agent_id, request, lambda _, a: a.approve_reinstatement(
            self.today(), request.provenance))

    def reject_reinstatement(
        self, agent_id: UUID, cmd: models.Decide, request: Request
    ) -> CommandResult:
        """Refuse a reinstatement."""
        return self._on_agent(agent_id, request, lambda _, a: a.reject_reinstatement(
            cmd.reason, request.provenance))

    def transfer(
        self, agent_id: UUID, changes: models.UpdateAgent | None, manager_id: UUID | None,
        request: Request,
    ) -> CommandResult:
        """Move an agent to another office, region or manager in one step (HR transfers)."""
        return self._execute(request, self.transferring(agent_id, changes, manager_id,
                                                        request.provenance))

    def transferring(self, agent_id: UUID, changes: models.UpdateAgent | None,
                     manager_id: UUID | None, by: Provenance) -> Change:
        """The change of `transfer`, for `run` or `run_batch`."""
        def act(unit: Unit, agent: Agent) -> None:
            if changes is None and manager_id == agent.manager_id:
                raise NothingToChange("the transfer changes nothing")
            if changes is not None:
                agent.update(changes.changes(), by)
            if manager_id != agent.manager_id:
                self._move(unit, agent, manager_id, "transfer", by)
        return self._acting(agent_id, act)

    def change_manager(
        self, agent_id: UUID, cmd: models.ChangeManager, request: Request
    ) -> CommandResult:
        """Move an agent and its subtree under another manager; never forms a cycle."""
        return self._on_agent(agent_id, request, lambda u, a: self._move(
            u, a, cmd.manager_id, cmd.reason, request.provenance))

    # --- queries of the write side ------------------------------------------------------------

    def agent(self, agent_id: UUID) -> Agent:
        """The current state of an agent."""
        return self._unit(None).agent(agent_id)

    def agent_id_by_code(self, agent_code: str) -> UUID:
        """The id of the agent holding `agent_code`, or `AgentNotFound`."""
        return self._unit(None).owner("agent_code", agent_code)

    def history(self, agent_id: UUID) -> list[DomainEventProtocol[UUID]]:
        """Every stored event of an agent, oldest first."""
        self.agent(agent_id)
        return list(self.events.get(agent_id))

    def personal_data(self, agent_id: UUID, version: int) -> dict[str, str | None]:
        """The agent's personal fields in full as of `version` (`erased` once erased; refresh
        the data keys first to see another process's erasure at once). Exports record the
        disclosure."""
        agent: Agent = self.repository.get(agent_id, version=version)
        return {name: getattr(agent, name) for name in sorted(PERSONAL_FIELDS)}

    # --- privacy ------------------------------------------------------------------------------

    def erase(self, agent_id: UUID, cmd: models.ErasePersonalData,
              request: Request) -> CommandResult:
        """Destroy a terminated or rejected agent's data key and record the erasure, in one
        transaction: every past event of the agent reads its personal fields as `erased`
        from then on."""
        def act(_: Unit, agent: Agent) -> None:
            agent.erase_personal_data(cmd.reason, request.provenance)
            self.data_keys.destroy(agent_id)

        return self._on_agent(agent_id, request, act)

    def disclose(self, agent_id: UUID, fields: list[str], reason: str,
                 request: Request) -> tuple[CommandResult, dict[str, str | None]]:
        """Record that `fields` of the agent are shown to the requester for `reason`, and
        the values shown (read with the data key fetched afresh)."""
        self.data_keys.refresh([agent_id])
        shown: dict[str, str | None] = {}

        def act(_: Unit, agent: Agent) -> None:
            shown.update({name: getattr(agent, name) for name in fields})
            agent.disclose_personal_data(fields, reason, request.provenance)

        return self._on_agent(agent_id, request, act), shown

    def ready(self) -> int:
        """The head of the event log; raises if the event store cannot be read."""
        return self.recorder.max_notification_id() or 0

    def pool_stats(self) -> dict[str, int]:
        """The event store's connection pool as `psycopg_pool` counts it (empty on SQLite)."""
        datastore = getattr(self.recorder, "datastore", None)
        pool = getattr(datastore, "pool", None)
        return dict(pool.get_stats()) if isinstance(pool, ConnectionPool) else {}

