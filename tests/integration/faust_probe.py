"""A minimal Faust app for the foundation test: echoes probe-in records to probe-out."""

from __future__ import annotations

import os

import faust

app = faust.App(
    "atenciones-probe",
    broker=f"kafka://{os.environ['PROBE_BOOTSTRAP']}",
    store="rocksdb://",
    datadir=os.environ["PROBE_DATADIR"],
    processing_guarantee="exactly_once",
    topic_replication_factor=1,
    topic_partitions=1,
    web_host="127.0.0.1",
    web_port=int(os.environ["PROBE_WEB_PORT"]),
)
source = app.topic("probe-in", value_serializer="raw", key_serializer="raw")
sink = app.topic("probe-out", value_serializer="raw", key_serializer="raw")
seen = app.Table("probe-seen", default=int, partitions=1)


@app.agent(source)
async def echo(stream):  # type: ignore[no-untyped-def]
    async for key, value in stream.items():
        seen[key] += 1
        await sink.send(key=key, value=b"echo:" + value)
