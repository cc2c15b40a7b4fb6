"""Per-agent data keys on both stores: sealed at rest, rotated without touching an event, and
destroyed by an erasure so that nothing, master key included, recovers the values."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

import pytest
from pydantic import SecretStr

from commands import models
from commands.data_keys import DataKeys, MasterKey
from commands.key_tables import key_table
from commands.service import AgentService
from domain.errors import RuleBroken
from roster.settings import Settings
from tests.builders import onboard_body
from tests.conftest import service_on
from tests.integration.test_write_guarantees import APPROVER, CLERK, stored_bytes

NEW_MASTER = SecretStr("a-new-master-key-of-at-least-32-characters")


def _onboarded(service: AgentService, **overrides: str) -> tuple[UUID, dict[str, str]]:
    body = onboard_body(bank_account="123456789012", **overrides)
    return service.onboard(models.OnboardAgent(**body), CLERK).agent_id, body


def _erased(service: AgentService) -> tuple[UUID, dict[str, str]]:
    agent, body = _onboarded(service)
    service.reject(agent, models.Decide(), APPROVER)
    service.erase(agent, models.ErasePersonalData(reason="the person asked for it"), APPROVER)
    return agent, body


def _values(body: dict[str, str]) -> list[bytes]:
    return [body[k].encode() for k in ("pan", "aadhaar", "bank_account", "email", "phone")]


def _plain_states(service: AgentService) -> bytes:
    """Every stored event's state with the store's own cipher taken off: what someone holding
    the store and the settings' keys reads, sealed blobs aside."""
    cipher = service.mapper.cipher
    assert cipher is not None
    return b"".join(cipher.decrypt(n.state)
                    for n in service.recorder.select_notifications(start=0, limit=100_000))


@pytest.fixture
def rotated(settings: Settings) -> Settings:
    """The same store under a new master key, the derived one still known."""
    return settings.model_copy(update={"master_key": NEW_MASTER})


def test_personal_values_are_sealed_even_under_the_stores_own_cipher(
    service: AgentService,
) -> None:
    _, body = _onboarded(service)
    plain = _plain_states(service)
    assert b'"sealed"' in plain
    assert not [v for v in _values(body) if v in plain]


def test_after_an_erasure_nothing_recovers_the_values_and_others_still_read(
    settings: Settings, service: AgentService
) -> None:
    kept, kept_body = _onboarded(service)
    gone, gone_body = _erased(service)
    assert not [v for v in _values(gone_body) if v in stored_bytes(settings)]
    with service_on(settings) as fresh:
        assert fresh.personal_data(gone, 1) == dict.fromkeys(
            ("aadhaar", "bank_account", "email", "pan", "phone"), "erased")
        assert fresh.personal_data(kept, 1)["pan"] == kept_body["pan"]
        table = key_table(fresh.factory.datastore)  # type: ignore[attr-defined]
        assert table.fetch([gone])[gone].wrapped is None, "no wrapped key left to unwrap"


def test_a_rotation_rewraps_every_key_without_touching_an_event(
    settings: Settings, service: AgentService, rotated: Settings
) -> None:
    agents = [_onboarded(service) for _ in range(3)]
    _erased(service)
    before = stored_bytes(settings)
    with service_on(rotated) as after:
        assert after.data_keys.rotate() == 3, "the erased agent has no key to re-wrap"
        assert after.data_keys.rotate() == 0, "a second run finds nothing left"
        table = key_table(after.factory.datastore)  # type: ignore[attr-defined]
        only_new = DataKeys(table, [MasterKey(rotated.master_keys[0])], ttl=0)
        assert set(only_new.refresh([a for a, _ in agents])) == {a for a, _ in agents}
        for agent, body in agents:
            assert after.agent(agent).aadhaar == body["aadhaar"]
    assert stored_bytes(settings) == before


def test_a_key_is_destroyed_in_the_erasures_own_transaction(
    settings: Settings, service: AgentService
) -> None:
    agent, body = _onboarded(service)
    service.reject(agent, models.Decide(), APPROVER)
    service.data_keys.destroy(agent)
    with service_on(settings) as other:
        assert other.personal_data(agent, 1)["pan"] == body["pan"], "nothing written alone"
    service.erase(agent, models.ErasePersonalData(reason="the person asked for it"), APPROVER)
    with service_on(settings) as other:
        assert other.personal_data(agent, 1)["pan"] == "erased"
        assert other.data_keys.erased() == [agent]


def test_a_destruction_left_by_a_failed_command_or_another_thread_destroys_nothing(
    settings: Settings, service: AgentService
) -> None:
    agent, body = _onboarded(service)
    elsewhere = threading.Thread(target=service.data_keys.destroy, args=(agent,))
    elsewhere.start()
    elsewhere.join()

    def refused_after_marking(_: Any, target: Any) -> None:
        service.data_keys.destroy(target.id)
        raise RuleBroken("refused once the key was marked")
    with pytest.raises(RuleBroken):
        service._on_agent(agent, CLERK, refused_after_marking)
    _, shown = service.disclose(agent, ["pan"], "a check after the refusal", APPROVER)
    assert shown == {"pan": body["pan"]}
    with service_on(settings) as other:
        assert other.personal_data(agent, 2)["pan"] == body["pan"]
        assert other.data_keys.erased() == []
