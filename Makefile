.PHONY: run test unit property integration api readapi e2e pipeline rebuild operations lint services-up services-down bench

run:            ## start all of roster on the embedded default (SQLite): roster dev
	scripts/run.sh

test:           ## everything: servers, lint, types, imports, all tests
	scripts/test.sh

unit:           ## unit tests (no servers)
	scripts/bootstrap.sh && .venv/bin/python -m pytest tests/unit

property:       ## hypothesis property tests (no servers)
	scripts/bootstrap.sh && .venv/bin/python -m pytest tests/property

integration:    ## write-side guarantees on SQLite and real PostgreSQL
	scripts/bootstrap.sh && scripts/services.sh up && .venv/bin/python -m pytest tests/integration

api:            ## the write API over both stores
	scripts/bootstrap.sh && scripts/services.sh up && .venv/bin/python -m pytest tests/api

readapi:        ## read models and the read API, on PostgreSQL (with Redis) and on SQLite
	scripts/bootstrap.sh && scripts/services.sh up && .venv/bin/python -m pytest tests/readapi

e2e:            ## the README quickstart against roster dev (no servers)
	scripts/bootstrap.sh && .venv/bin/python -m pytest tests/e2e

pipeline:       ## relay, Kafka and consumers, crash tests included (real PostgreSQL and Kafka)
	scripts/bootstrap.sh && scripts/services.sh up && .venv/bin/python -m pytest tests/pipeline

rebuild:        ## rebuild jobs under load, killed and resumed, version bumps (PostgreSQL + Kafka, SQLite)
	scripts/bootstrap.sh && scripts/services.sh up && .venv/bin/python -m pytest tests/rebuild

operations:     ## Prometheus rules and queries, tracing, Kubernetes manifests, the ops page in Chromium
	scripts/bootstrap.sh && scripts/ops-tools.sh && scripts/services.sh up && .venv/bin/python -m pytest tests/operations

lint:
	scripts/bootstrap.sh && .venv/bin/ruff check . && .venv/bin/mypy && .venv/bin/lint-imports

services-up:
	scripts/services.sh up

services-down:
	scripts/services.sh down

bench:          ## write throughput, pipeline, read latency and rebuild benchmarks (print tables)
	scripts/bootstrap.sh && scripts/services.sh up && .venv/bin/python -m bench.write_throughput \
	  && .venv/bin/python -m bench.pipeline && .venv/bin/python -m bench.read_latency \
	  && .venv/bin/python -m bench.rebuild
