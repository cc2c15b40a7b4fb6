"""Guarantees of the write side against a real store: every test runs on SQLite and on
PostgreSQL (the `settings` fixture), with concurrent requests where the rule is about races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import psycopg
import pytest

from commands import models
from commands.errors import AlreadyClaimed, DeliveryReplayed, IdempotencyKeyReused, VersionMismatch
from commands.service import AgentService, CommandResult, Request
from domain.errors import DomainError, HierarchyCycle
from roster.settings import Settings, Store
from tests.builders import license_body, onboard_body

T = TypeVar("T")
CLERK = Request.by("clerk-1", "c-1")
APPROVER = Request.by("approver-1", "c-2")


def race(count: int, attempt: Callable[[int], T]) -> tuple[list[T], list[Exception]]:
    """Run `attempt(i)` in `count` threads released at once; the results and the refusals."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[Exception] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(attempt(i))
        except DomainError as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def onboard(service: AgentService, **overrides: Any) -> CommandResult:
    return service.onboard(models.OnboardAgent(**onboard_body(**overrides)), CLERK)


def active(service: AgentService, manager: UUID | None = None) -> UUID:
    agent_id = onboard(service, manager_id=manager).agent_id
    service.approve(agent_id, APPROVER)
    return agent_id


def stored_bytes(settings: Settings) -> bytes:
    if settings.store is Store.SQLITE:
        return (settings.data_dir / "events.db").read_bytes()
    with psycopg.connect(settings.postgres_conninfo()) as conn:
        table = f'"{settings.postgres_schema}".roster_events'
        rows = conn.execute(f"SELECT originator_id::text, topic, state FROM {table}").fetchall()
    return b"".join(r[0].encode() + r[1].encode() + bytes(r[2]) for r in rows)


def test_only_one_of_many_concurrent_onboardings_with_the_same_pan_wins(
    service: AgentService,
) -> None:
    body = onboard_body()
    results, errors = race(8, lambda i: service.onboard(models.OnboardAgent(**{
        **body, "agent_code": f"AG-R{i:03d}", "aadhaar": onboard_body()["aadhaar"],
        "licenses": [license_body()]}), CLERK))
    assert len(results) == 1
    assert len(errors) == 7
    assert all(isinstance(e, AlreadyClaimed) and e.field == "pan" for e in errors)


def test_a_license_number_is_held_by_one_agent_only(service: AgentService) -> None:
    first = onboard(service)
    number = service.agent(first.agent_id).licenses.popitem()[0]
    second = onboard(service, licenses=[])
    with pytest.raises(AlreadyClaimed) as refused:
        service.add_license(second.agent_id, models.AddLicense(**license_body() | {
            "number": number}), CLERK)
    assert refused.value.code == "license_number_taken"


def test_two_racing_moves_that_would_form_a_cycle_never_both_succeed(
    service: AgentService,
) -> None:
    for _ in range(5):
        a, b = active(service), active(service)
        moves = [(a, models.ChangeManager(manager_id=b)), (b, models.ChangeManager(manager_id=a))]

        def move(i: int, moves: list[tuple[UUID, models.ChangeManager]] = moves) -> CommandResult:
            return service.change_manager(*moves[i], CLERK)

        results, errors = race(2, move)
        assert len(results) <= 1
        assert all(isinstance(e, HierarchyCycle) for e in errors)
        assert not (service.agent(a).manager_id == b and service.agent(b).manager_id == a)


def test_a_move_under_ones_own_subtree_is_refused(service: AgentService) -> None:
    root = active(service)
    child = active(service, manager=root)
    grandchild = active(service, manager=child)
    with pytest.raises(HierarchyCycle):
        service.change_manager(root, models.ChangeManager(manager_id=grandchild), CLERK)
    assert service.agent(child).reports == {grandchild}


def test_racing_commands_on_one_agent_with_the_same_version_one_wins(
    service: AgentService,
) -> None:
    agent_id = onboard(service).agent_id
    version = service.agent(agent_id).version
    results, errors = race(6, lambda i: service.update(
        agent_id, models.UpdateAgent(last_name=f"Name{i}"),
        Request.by("clerk", f"c{i}", expected_version=version)))
    assert len(results) == 1
    assert len(errors) == 5
    assert all(isinstance(e, VersionMismatch) and e.current == version + 1 for e in errors)


def test_an_idempotent_replay_writes_nothing_and_answers_the_same(
    service: AgentService,
) -> None:
    request = Request.by("clerk", "c", idempotency_key="key-1", fingerprint="f1")
    cmd = models.OnboardAgent(**onboard_body())
    first = service.onboard(cmd, request)
    head = service.recorder.max_notification_id()
    assert service.onboard(cmd, request) == first
    assert service.recorder.max_notification_id() == head
    with pytest.raises(IdempotencyKeyReused):
        service.onboard(cmd, Request.by("clerk", "c", idempotency_key="key-1", fingerprint="f2"))


def test_concurrent_retries_with_one_idempotency_key_write_once(service: AgentService) -> None:
    cmd = models.OnboardAgent(**onboard_body())
    results, errors = race(5, lambda i: service.onboard(
        cmd, Request.by("clerk", f"c{i}", idempotency_key="key-2", fingerprint="f")))
    assert errors == []
    assert len(set(results)) == 1


def test_a_webhook_delivery_is_processed_once(service: AgentService) -> None:
    agent_id = onboard(service).agent_id
    request = Request.by("hrms", "c", "hrms", delivery=("hrms", "d-1"))
    service.update(agent_id, models.UpdateAgent(phone="9123456780"), request)
    with pytest.raises(DeliveryReplayed):
        service.update(agent_id, models.UpdateAgent(phone="9000000000"), request)


def test_terminating_a_manager_moves_its_reports_to_the_named_agent(
    service: AgentService,
) -> None:
    boss = active(service)
    manager = active(service, manager=boss)
    reports = {active(service, manager=manager) for _ in range(3)}
    service.terminate(manager, models.TerminateAgent(reason_code="RESIGNATION",
                                                     reassign_reports_to=boss), APPROVER)
    assert service.agent(boss).reports == reports
    assert all(service.agent(r).manager_id == boss for r in reports)


def test_no_personal_data_is_stored_in_plaintext(
    settings: Settings, service: AgentService
) -> None:
    body = onboard_body(bank_account="123456789012")
    onboard(service, **body)
    raw = stored_bytes(settings)
    assert len(raw) > 1000
    for secret in (body["pan"], body["aadhaar"], body["bank_account"], body["agent_code"]):
        assert secret.encode() not in raw


def test_services_opened_at_once_on_an_empty_store_all_open(settings: Settings) -> None:
    """Processes started together (a rebuild beside a consumer) race to create the event
    store's tables; every one of them opens."""
    opened, _ = race(8, lambda _: AgentService(settings.event_store_env(), settings.index_key))
    for service in opened:
        service.close()
    assert len(opened) == 8
