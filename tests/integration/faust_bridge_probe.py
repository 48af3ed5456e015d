"""A Faust app for tests/integration/test_faust_bridge.py: one batch, then fail or release.

PROBE_MODE: "take_events" (Faust's own batching, the batch fails), "held" (agents.faust_bridge,
the batch fails), "held_release" (agents.faust_bridge, the batch succeeds and writes a table),
"held_stop" (the batch waits, as for a ClickHouse that is down, until the stop);
"lane" and "lane_release": the same through the BulkLane. Every mode stops as the worker does
(agents.faust_bridge.bounded_stop_wait, 1 s of grace).
"""

from __future__ import annotations

import asyncio
import os

import faust

from agents.faust_bridge import (
    BulkLane,
    acknowledged_table_writes,
    bounded_stop_wait,
    current_event,
    event_for,
    flush_durably,
    held_batches,
    release,
    shorten_fetch_wait,
)

MODE = os.environ["PROBE_MODE"]
app = faust.App(
    os.environ["PROBE_APP_ID"],
    broker=f"kafka://{os.environ['PROBE_BOOTSTRAP']}",
    store="rocksdb://",
    datadir=os.environ["PROBE_DATADIR"],
    processing_guarantee="at_least_once",
    topic_replication_factor=1,
    topic_partitions=2,
    web_host="127.0.0.1",
    web_port=int(os.environ["PROBE_WEB_PORT"]),
    broker_commit_interval=0.5,
)
bounded_stop_wait(app, 1.0)
source = app.topic(os.environ["PROBE_TOPIC"], value_serializer="raw", key_serializer="raw")
marks = app.Table("marks", default=None, partitions=2)


@app.agent(source)
async def probe(stream):  # type: ignore[no-untyped-def]
    if MODE.startswith("lane"):
        lane = BulkLane(app, source.get_topic_name(), max_records=200)
        lane.install()
        before = shorten_fetch_wait(app, 123)
        app.log.info("probe: fetch wait %d -> 123 ms", before)
        async for messages in lane.batches(100, 1.0):
            if MODE == "lane":
                raise RuntimeError("probe: the batch failed")
            for message in messages:
                with current_event(stream, event_for(app, message)):
                    marks[f"seen-{message.partition}-{message.offset}"] = 1
            await flush_durably(app)
            lane.release(messages)
            app.log.info("probe: released %d", len(messages))
            app.log.info("probe: table writes acknowledged %d", acknowledged_table_writes(app))
    if MODE == "take_events":
        async for _events in stream.take_events(100, within=1.0):
            raise RuntimeError("probe: the batch failed")
    async for events in held_batches(stream, 100, 1.0):
        if MODE == "held":
            raise RuntimeError("probe: the batch failed")
        if MODE == "held_stop":
            app.log.info("probe: the batch waits")
            await asyncio.sleep(3600)
        for event in events:
            with current_event(stream, event):
                marks[f"seen-{event.message.partition}-{event.message.offset}"] = 1
        await flush_durably(app)
        await release(stream, events)
        app.log.info("probe: released %d", len(events))
        app.log.info("probe: table writes acknowledged %d", acknowledged_table_writes(app))
