"""Live traffic for today at a chosen rate, with the seed's mix (demos and load tests)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime

from schemas.decode import validate_attention
from schemas.reasons import Reason
from schemas.timestamps import LIMA
from streams.incident_injection import IncidentInjector, IncidentPlan
from streams.invalid_events import random_invalid
from streams.producer import AttentionProducer
from streams.traffic_mix import TrafficMix


@dataclass
class SimulationReport:
    valid: int = 0
    invalid: dict[Reason, int] = field(default_factory=dict)
    incident: int = 0  # attentions of the injected incident (among the valid ones)


def simulate(
    producer: AttentionProducer,
    rate: float,
    *,
    count: int | None = None,
    duration_s: float | None = None,
    invalid_rate: float = 0.0,
    seed: int | None = None,
    incident: IncidentPlan | None = None,
) -> SimulationReport:
    """Publish events stamped now at about `rate` per second until count or duration is reached;
    with an incident, its attentions too, as they fall due (not counted in `count`)."""
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
    injector = IncidentInjector(incident, datetime.now(tz=LIMA), rng) if incident else None
    sent = 0
    while (count is None or sent < count) and (
        duration_s is None or time.monotonic() - started < duration_s
    ):
        now = datetime.now(tz=LIMA)
        for extra in injector.due(now) if injector else []:
            producer.send(validate_attention(extra))
            report.valid += 1
            report.incident += 1
        event = mix.event(now)
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
