"""Live traffic for today at a chosen rate, with the seed's mix (demos and load tests)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime

from schemas.decode import validate_attention
from schemas.reasons import Reason
from schemas.timestamps import LIMA
from streams.invalid_events import random_invalid
from streams.producer import AttentionProducer
from streams.traffic_mix import TrafficMix


@dataclass
class SimulationReport:
    valid: int = 0
    invalid: dict[Reason, int] = field(default_factory=dict)


def simulate(
    producer: AttentionProducer,
    rate: float,
    *,
    count: int | None = None,
    duration_s: float | None = None,
    invalid_rate: float = 0.0,
    seed: int | None = None,
) -> SimulationReport:
    """Publish events stamped now at about `rate` per second until count or duration is reached."""
    if rate <= 0:
        raise ValueError("rate must be > 0 events per second")
    if not 0.0 <= invalid_rate <= 1.0:
        raise ValueError("invalid rate must be between 0 and 1")
    if count is None and duration_s is None:
        raise ValueError("give a count or a duration")
    rng = random.Random(seed)
    mix = TrafficMix(rng)
    report = SimulationReport()
    started = time.monotonic()
    sent = 0
    while (count is None or sent < count) and (
        duration_s is None or time.monotonic() - started < duration_s
    ):
        event = mix.event(datetime.now(tz=LIMA))
        if invalid_rate and rng.random() < invalid_rate:
            reason, (key, value) = random_invalid(event, rng)
            producer.send_raw(key, value)
            report.invalid[reason] = report.invalid.get(reason, 0) + 1
        else:
            producer.send(validate_attention(event))
            report.valid += 1
        sent += 1
        ahead = sent / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
    producer.flush()
    return report
