"""wrk, the HTTP load generator from Debian's packages (`scripts/bench-tools.sh` installs it):
one run against a URL, its rate and latency percentiles."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def ensure() -> None:
    """Install wrk unless it is there."""
    if shutil.which("wrk") is None:
        subprocess.run([ROOT / "scripts" / "bench-tools.sh"], check=True)


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if found is None:
        raise ValueError(f"not a wrk duration: {text}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def run(url: str, headers: dict[str, str], connections: int, seconds: float,
        threads: int = 2, requests: Path | None = None) -> dict[str, float]:
    """`wrk --latency` against `url` (an answer may take up to 30 s): requests per second
    and the p50, p90 and p99 in ms; raises when any answer was not 2xx or 3xx, or a socket
    failed. With `requests`, wrk sends that file's requests in order (`lua/replay.lua`)."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency",
            "--timeout", "30s", url]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if requests is not None:
        args[1:1] = ["-s", str(ROOT / "bench" / "lua" / "replay.lua")]
        args += ["--", str(requests), str(threads)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk met errors:\n{out}")
    cuts = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    rate = re.search(r"^Requests/sec:\s+([\d.]+)$", out, re.MULTILINE)
    if rate is None or len(cuts) != 3:
        raise ValueError(f"wrk printed what this does not read:\n{out}")
    return {"rps": float(rate.group(1)), "p50": _ms(cuts["50"]), "p90": _ms(cuts["90"]),
            "p99": _ms(cuts["99"])}
