"""The records every peer drains: distinct attentions plus re-sends, corrections and voids, in
an order that keeps each attention's records in sequence, and the truth to check them against.

The truth comes from the generator (what it decided each attention ends as), not from replaying
the records through the revision rules the peers use.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from benchmarks.peers.revisions import Key, key_of
from streams.traffic_mix import OFFICE_WEIGHTS, TrafficMix

RESEND_SHARE = 0.02
CORRECTION_SHARE = 0.008
VOID_SHARE = 0.002


@dataclass(frozen=True)
class Dataset:
    records: list[tuple[bytes, bytes]]  # (key, value) in publish order
    truth: Counter[Key]  # attentions per key once every record is applied
    distinct: int
    resends: int
    corrections: int
    voids: int
    not_voided_records: int  # what a consumer without revisions counts (re-sends included)

    @property
    def counted(self) -> int:
        return sum(self.truth.values())


def build(total: int, seed: int = 2024) -> Dataset:
    rng = random.Random(seed)
    mix = TrafficMix(rng)
    offices = list(OFFICE_WEIGHTS)
    distinct = round(total / (1 + RESEND_SHARE + CORRECTION_SHARE + VOID_SHARE))
    start = datetime(2024, 1, 1, 5, tzinfo=UTC)
    placed: list[tuple[float, bytes, bytes]] = []
    truth: Counter[Key] = Counter()
    corrections = voids = resends = 0
    for i in range(distinct):
        event = mix.event(start + timedelta(seconds=rng.randrange(366 * 86400)), f"peer-{i}")
        attention = str(event["attention_id"]).encode()
        position = float(i)
        versions = [event]
        if rng.random() < CORRECTION_SHARE:
            corrected = dict(event, revision=1, office=rng.choice(offices))
            versions.append(corrected)
            corrections += 1
            if rng.random() < VOID_SHARE / CORRECTION_SHARE:
                versions.append(dict(corrected, revision=2, voided=True))
                voids += 1
        for version in versions:
            placed.append((position, attention, orjson.dumps(version)))
            position += rng.uniform(1, 3000)
        final = versions[-1]
        if not final.get("voided"):
            truth[key_of(final)] += 1
        if rng.random() < RESEND_SHARE:
            again = rng.choice(versions)
            placed.append((float(i) + rng.uniform(0, 3000), attention, orjson.dumps(again)))
            resends += 1
    placed.sort(key=lambda item: item[0])
    records = [(attention, value) for _, attention, value in placed]
    not_voided = sum(1 for _, value in records if not orjson.loads(value).get("voided"))
    return Dataset(records, truth, distinct, resends, corrections, voids, not_voided)
