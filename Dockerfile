# The roster image the Kubernetes manifests run (deploy/k8s): `docker build -t roster:0.1.0 .`
# Every process is the same image with other arguments: writeapi, readapi, relay, consume,
# exports worker, rebuild.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY commands commands
COPY webkit webkit
COPY writeapi writeapi
COPY readapi readapi
COPY consumers consumers
COPY projections projections
COPY roster roster
RUN pip install --no-cache-dir . && useradd --uid 10001 --no-create-home roster
USER 10001
ENTRYPOINT ["roster"]
