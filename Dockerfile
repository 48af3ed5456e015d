# The worker image used by docker-compose (production path).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY foundation ./foundation
COPY atenciones ./atenciones
COPY schemas ./schemas
COPY streams ./streams
COPY agents ./agents
COPY clickhouse ./clickhouse
COPY grafana ./grafana
COPY reports ./reports
COPY demo ./demo
COPY benchmarks ./benchmarks
# Chromium prints the daily report's PDF (foundation/chromium.py); fonts for its Spanish text.
RUN apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# urllib3-future beside urllib3, not over it (see Makefile: install)
RUN URLLIB3_NO_OVERRIDE=1 pip install --no-cache-dir --no-binary urllib3-future .
RUN useradd --system --home /var/lib/atenciones atenciones && mkdir -p /var/lib/atenciones \
    && chown atenciones /var/lib/atenciones
USER atenciones
CMD ["atenciones", "worker"]
