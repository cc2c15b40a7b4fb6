"""Freshness as deployed: from a command accepted by the write API to its agent's summary row
committed, with the write API (`roster writeapi --workers 2`), the relay (`roster relay`) and
the summary's consumer (`roster consume --projection agent_summary`) each in its own process,
under a steady `--rate` of onboardings over HTTP. Medians of `--runs` runs.

    .venv/bin/python -m bench.freshness [--rate 500] [--seconds 20] [--runs 3]

The load: `--rate` onboardings a second spread over client threads, each paced to its share.
Visibility: a poller asks the summary's live table every 5 ms for the agents accepted and not
seen yet; an agent is visible once its row holds the position the write answered with. A side
consumer of the topic notes each agent's record creation time, which splits the delay into
the relay's share (accepted to produced) and the consumer's (produced to visible).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import threading
import time
import uuid
from contextlib import ExitStack
from typing import Any

import orjson
import psycopg
from kafka import KafkaConsumer

from bench.processes import SECRET, roster_env, running, wait_ready
from bench.write_throughput import fresh_schema
from roster.settings import Settings
from tests.builders import onboard_body
from webkit.auth import Role, issue_token

CLIENTS = 64
"""Client threads sharing the rate (each waits for its answers)."""
POLL_SECONDS = 0.005
PARTITIONS = 6


def process_env(settings: Settings, topic: str, port_base: int) -> dict[str, str]:
    """The environment of every roster process of one run."""
    return roster_env(settings.postgres_schema, kafka_topic=topic, kafka_partitions=PARTITIONS,
                      redis_prefix=topic, relay_health_port=port_base + 1,
                      consumer_health_port=port_base + 2)


class Watch:
    """Accepted writes, and when each became visible in the summary."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._lock = threading.Lock()
        self.accepted: dict[str, tuple[int, float]] = {}
        self.visible: dict[str, float] = {}
        self.produced: dict[str, float] = {}
        self._waiting: dict[str, int] = {}

    def accept(self, agent_id: str, position: int) -> None:
        """A write answered with `position` for `agent_id`."""
        now = time.time()
        with self._lock:
            self.accepted[agent_id] = (position, now)
            self._waiting[agent_id] = position

    def poll(self, stop: threading.Event, table: str) -> None:
        """Look for the waiting agents' rows every `POLL_SECONDS` until `stop`."""
        query = f"SELECT agent_id::text, position FROM {table} WHERE agent_id = ANY(%s::uuid[])"
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            while not stop.is_set():
                with self._lock:
                    waiting = list(self._waiting)
                if waiting:
                    rows = conn.execute(query, (waiting,)).fetchall()
                    now = time.time()
                    with self._lock:
                        for agent_id, position in rows:
                            if position >= self._waiting.get(agent_id, 1 << 62):
                                del self._waiting[agent_id]
                                self.visible[agent_id] = now
                time.sleep(POLL_SECONDS)

    def read_topic(self, stop: threading.Event, bootstrap: str, topic: str) -> None:
        """Note when the relay produced each agent's first event of the run (the record's
        creation time) until `stop`: the relay's share of the delay."""
        consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                 auto_offset_reset="latest")
        try:
            while not stop.is_set():
                for records in consumer.poll(timeout_ms=200).values():
                    for record in records:
                        if record.key is not None:
                            self.produced.setdefault(record.key.decode(), record.timestamp / 1000)
        finally:
            consumer.close()

    def latencies(self) -> list[float]:
        """Seconds from accepted to visible, of every write seen."""
        return sorted(self.visible[a] - t for a, (_, t) in self.accepted.items()
                      if a in self.visible)

    def shares(self) -> tuple[list[float], list[float]]:
        """Seconds from accepted to produced (the relay), and from produced to visible (the
        consumer), of every write seen in both."""
        both = [(t, self.produced[a], self.visible[a]) for a, (_, t) in self.accepted.items()
                if a in self.produced and a in self.visible]
        return sorted(p - t for t, p, _ in both), sorted(v - p for _, p, v in both)


def load(port: int, rate: float, seconds: float, watch: Watch) -> None:
    """Onboard at `rate` a second for `seconds` over HTTP, telling `watch` of each answer."""
    headers = {"Authorization": f"Bearer {issue_token(SECRET, 'clerk', Role.CLERK, 3600)}",
               "Content-Type": "application/json"}
    deadline = time.monotonic() + seconds
    gap = CLIENTS / rate

    def client(offset: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        due = time.monotonic() + offset
        while due < deadline:
            time.sleep(max(0.0, due - time.monotonic()))
            conn.request("POST", "/v1/agents", orjson.dumps(onboard_body()), headers)
            answer = conn.getresponse()
            body: Any = orjson.loads(answer.read())
            if answer.status != 201:
                raise RuntimeError(f"refused: {body}")
            watch.accept(body["agent_id"], body["position"])
            due += gap

    threads = [threading.Thread(target=client, args=(i * gap / CLIENTS,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def live_summary(settings: Settings) -> str:
    """The qualified name of the summary's live table."""
    with psycopg.connect(settings.postgres_conninfo()) as conn:
        row = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) "
                           "ORDER BY nspname DESC LIMIT 1",
                           (f"{settings.postgres_schema}__agent_summary_g",)).fetchone()
    if row is None:
        raise RuntimeError("the summary's consumer made no generation")
    return f'"{row[0]}".agent_summary'


def one_run(rate: float, seconds: float) -> dict[str, float]:
    """Start the processes on a fresh schema and topic, load them, and measure."""
    with fresh_schema() as settings, ExitStack() as stack:
        topic = f"bench-fresh-{uuid.uuid4().hex[:8]}"
        port = 18700 + os.getpid() % 200
        env = process_env(settings, topic, port)
        stack.enter_context(running(["writeapi", "--port", str(port), "--workers", "2"], env))
        wait_ready(f"http://127.0.0.1:{port}/health/ready")
        stack.enter_context(running(["relay"], env))
        stack.enter_context(running(["consume", "--projection", "agent_summary"], env))
        wait_ready(f"http://127.0.0.1:{port + 2}/health/ready")
        watch = Watch(settings.read_models_conninfo())
        load(port, 20, 2, watch)
        time.sleep(3)
        stop = threading.Event()
        watchers = [threading.Thread(target=watch.poll, args=(stop, live_summary(settings))),
                    threading.Thread(target=watch.read_topic,
                                     args=(stop, settings.kafka_bootstrap, topic))]
        for watcher in watchers:
            watcher.start()
        while len(watch.visible) < len(watch.accepted):
            time.sleep(0.1)
        time.sleep(1)
        watch.accepted.clear()
        watch.visible.clear()
        watch.produced.clear()
        started = time.monotonic()
        load(port, rate, seconds, watch)
        achieved = len(watch.accepted) / (time.monotonic() - started)
        time.sleep(3)
        stop.set()
        for watcher in watchers:
            watcher.join()
    latencies = watch.latencies()
    relay, consumer = watch.shares()
    return {"rate": achieved, "seen": len(latencies) / len(watch.accepted),
            **{f"{name} {cut}": ms(values, cut)
               for name, values in (("total", latencies), ("relay", relay),
                                    ("consumer", consumer))
               for cut in ("p50", "p99")},
            "max": latencies[-1] * 1000}


def ms(values: list[float], cut: str) -> float:
    """The p50 or p99 of `values` (seconds), in ms."""
    return statistics.quantiles(values, n=100)[int(cut[1:]) - 1] * 1000


def main() -> None:
    """Measure `--runs` times and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args.rate, args.seconds) for _ in range(args.runs)]
    for number, run in enumerate(runs, 1):
        print(f"run {number}: " + ", ".join(f"{k} {v:,.3f}" for k, v in run.items()))
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"\nfreshness, separate processes, {args.rate:g} onboardings/s asked for "
          f"{args.seconds:g} s, median of {args.runs} runs\n")
    print("| commands/s | seen | p50 ms | p99 ms | max ms | relay p50 / p99 | consumer p50 / p99 |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {median['rate']:,.0f} | {median['seen']:.1%} | {median['total p50']:.1f} | "
          f"{median['total p99']:.1f} | {median['max']:.1f} | "
          f"{median['relay p50']:.1f} / {median['relay p99']:.1f} | "
          f"{median['consumer p50']:.1f} / {median['consumer p99']:.1f} |")


if __name__ == "__main__":
    main()
