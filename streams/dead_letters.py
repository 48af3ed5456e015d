"""Read the dead-letter topic (counts by reason, samples) and replay chosen records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition

from schemas.dead_letter import DeadLetter
from schemas.decode import decode_attention
from schemas.reasons import ContractError
from schemas.relevant_case import decode_case
from streams.producer import AttentionProducer


def read_dead_letters(bootstrap: str, topic: str, timeout_s: float = 10.0) -> Iterator[DeadLetter]:
    """Every committed record of the dead-letter topic, from the beginning to its current end."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        end = consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if end[tp] > consumer.position(tp)}
        while remaining:
            batch = consumer.poll(timeout_ms=int(timeout_s * 1000))
            if not batch:
                break
            for tp, records in batch.items():
                for record in records:
                    yield DeadLetter.from_json(record.value)
                if consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            remaining = {tp for tp in remaining if consumer.position(tp) < end[tp]}
    finally:
        consumer.close()


@dataclass
class ReplayReport:
    replayed: int = 0
    still_invalid: Counter[str] = field(default_factory=Counter)
    truncated: int = 0  # letters that keep only a prefix of the record: never replayed
    unknown_origin: int = 0  # letters from a topic that is neither attentions nor cases


def replay(
    letters: list[DeadLetter],
    producer: AttentionProducer,
    force: bool = False,
    cases_topic: str | None = None,
) -> ReplayReport:
    """Send the original bytes of letters back to the topic each came from: the attentions topic
    (the producer's) or, for relevant-case letters, `cases_topic`.

    Records still invalid under the current contract and catalogs are kept back (unless force):
    they would only come back to the dead-letter topic. Letters from any other topic, and
    letters that keep only a prefix of their record, are never replayed.
    """
    report = ReplayReport()
    validators: dict[str, Callable[[bytes | None, bytes | None], object]] = {
        producer.topic: decode_attention
    }
    if cases_topic:
        validators[cases_topic] = decode_case
    for letter in letters:
        if letter.truncated:
            report.truncated += 1
            continue
        validate = validators.get(letter.topic)
        if validate is None:
            report.unknown_origin += 1
            continue
        try:
            validate(letter.key, letter.value)
        except ContractError as exc:
            if not force:
                report.still_invalid[exc.reason.value] += 1
                continue
        producer.send_raw(letter.key, letter.value or b"", topic=letter.topic)
        report.replayed += 1
    producer.flush()
    return report


def summarize(letters: list[DeadLetter]) -> Counter[str]:
    return Counter(letter.reason.value for letter in letters)


def summarize_by_topic(letters: list[DeadLetter]) -> dict[str, Counter[str]]:
    """Reasons counted per origin topic (attentions, relevant cases)."""
    by_topic: dict[str, Counter[str]] = {}
    for letter in letters:
        by_topic.setdefault(letter.topic, Counter())[letter.reason.value] += 1
    return by_topic
