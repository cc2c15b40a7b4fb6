"""How the domain's value objects are written into, and read back from, stored events."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.values import License, LicenseType, Provenance, Source


class DateAsISO(Transcoding):
    """A `date` as its ISO 8601 text."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """The ISO text of `obj`."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """The date `data` names."""
        return date.fromisoformat(data)


class ProvenanceAsDict(Transcoding):
    """A `Provenance` as a small dict."""

    type = Provenance
    name = "provenance"

    def encode(self, obj: Provenance) -> dict[str, str]:
        """The fields of `obj`; the trace only when there is one."""
        fields = {"actor": obj.actor, "correlation_id": obj.correlation_id,
                  "source": obj.source.value}
        return fields | {"trace": obj.trace} if obj.trace else fields

    def decode(self, data: dict[str, str]) -> Provenance:
        """The provenance `data` describes."""
        return Provenance(data["actor"], data["correlation_id"], Source(data["source"]),
                          data.get("trace", ""))


class LicenseAsDict(Transcoding):
    """A `License` as a dict of ISO dates."""

    type = License
    name = "license"

    def encode(self, obj: License) -> dict[str, Any]:
        """The fields of `obj`."""
        return {
            "number": obj.number,
            "license_type": obj.license_type.value,
            "issued_on": obj.issued_on.isoformat(),
            "expires_on": obj.expires_on.isoformat(),
            "revoked_on": obj.revoked_on.isoformat() if obj.revoked_on else None,
        }

    def decode(self, data: dict[str, Any]) -> License:
        """The license `data` describes."""
        revoked = data["revoked_on"]
        return License(
            data["number"],
            LicenseType(data["license_type"]),
            date.fromisoformat(data["issued_on"]),
            date.fromisoformat(data["expires_on"]),
            date.fromisoformat(revoked) if revoked else None,
        )


def register_domain_values(transcoder: JSONTranscoder) -> None:
    """Teach `transcoder` the domain's value objects."""
    for transcoding in (DateAsISO(), ProvenanceAsDict(), LicenseAsDict()):
        transcoder.register(transcoding)
