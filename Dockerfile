# The worker image used by docker-compose (production path).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY atenciones ./atenciones
COPY schemas ./schemas
COPY streams ./streams
COPY agents ./agents
COPY clickhouse ./clickhouse
COPY grafana ./grafana
RUN pip install --no-cache-dir .
RUN useradd --system --home /var/lib/atenciones atenciones && mkdir -p /var/lib/atenciones \
    && chown atenciones /var/lib/atenciones
USER atenciones
CMD ["atenciones", "worker"]
