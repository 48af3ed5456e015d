"""The detector: a quiet key and a busy key, the minimum count, updates, closing, late
attentions, and the same alert id on a replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from incidents.baseline import HOURS_OF_WEEK, BaselineRules, Baselines, KeyBaseline
from incidents.detector import AlertRules, Change, Detector
from incidents.signal import IncidentKey, incident_key, is_signal

QUIET = IncidentKey("eps_grau", "200101")  # a Talara-like district: 0.2 calls an hour
BUSY = IncidentKey("sedapal", "150132")  # a call centre: 30 calls an hour
T0 = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in Lima


def baselines() -> Baselines:
    return Baselines(
        {
            QUIET: KeyBaseline((0.2,) * HOURS_OF_WEEK),
            BUSY: KeyBaseline((30.0,) * HOURS_OF_WEEK),
        },
        BaselineRules(),
    )


def feed(detector: Detector, key: IncidentKey, times: list[datetime]) -> list[tuple[Change, str]]:
    changes = []
    for moment in times:
        for change, alert in detector.observe(key, moment, "falta_agua_zona", "telefonico"):
            changes.append((change, alert.alert_id))
    return changes


def every(minutes: float, count: int, start: datetime = T0) -> list[datetime]:
    return [start + timedelta(minutes=minutes * i) for i in range(count)]


def test_only_service_failures_count_under_a_provider_and_place() -> None:
    assert is_signal("falta_agua_zona") and is_signal("aniego_tuberia_desague")
    assert not is_signal("consumo_elevado") and not is_signal("otros_operacional")
    assert incident_key("sedapal", "eps", "150132", "lima_callao") == BUSY
    assert incident_key("", "rural", "", "cusco") == IncidentKey("rural", "ods:cusco")


def test_three_calls_never_page_anyone_four_in_a_quiet_district_do() -> None:
    detector = Detector(baselines())
    assert feed(detector, QUIET, every(2, 3)) == []
    changes = feed(detector, QUIET, [T0 + timedelta(minutes=7)])
    assert [c for c, _ in changes] == [Change.OPENED]
    alert = detector.keys[QUIET].alert
    assert alert is not None and alert.attentions == 4 and alert.peak_count == 4
    assert alert.alert_id == "eps_grau|200101|2025-03-04T15:00:00+00:00"  # its 10-min window


def test_a_busy_key_needs_an_improbable_excess() -> None:
    detector = Detector(baselines())
    assert feed(detector, BUSY, every(2, 30)) == []  # its usual 30 an hour
    burst = feed(detector, BUSY, every(0.2, 60, T0 + timedelta(minutes=61)))
    assert [c for c, _ in burst][:1] == [Change.OPENED]
    alert = detector.keys[BUSY].alert
    assert alert is not None
    assert alert.peak_count >= 20 and alert.peak_expected < alert.peak_count / 2


def test_an_alert_updates_while_it_grows_and_closes_after_a_quiet_hour() -> None:
    detector = Detector(baselines(), AlertRules(quiet_minutes=60))
    changes = feed(detector, QUIET, every(3, 12))
    kinds = [c for c, _ in changes]
    assert kinds[0] is Change.OPENED and kinds[1:] == [Change.UPDATED] * (len(kinds) - 1)
    assert len({alert_id for _, alert_id in changes}) == 1
    alert = detector.keys[QUIET].alert
    assert alert is not None and alert.attentions == 12
    # time moves on (another key's attentions): open 50 minutes after the last improbable
    # window, closed once an hour (in five-minute buckets) has passed
    last = T0 + timedelta(minutes=33)
    assert feed(detector, BUSY, [last + timedelta(minutes=50)]) == []
    closed = feed(detector, BUSY, [last + timedelta(minutes=66)])
    assert closed == [(Change.CLOSED, alert.alert_id)]
    assert alert.closed_at is not None and alert.version == len(changes) + 1


def test_late_attentions_for_a_closed_alert_do_not_reopen_it() -> None:
    detector = Detector(baselines())
    feed(detector, QUIET, every(3, 6))
    feed(detector, BUSY, [T0 + timedelta(hours=2)])  # closes the quiet key's alert
    assert detector.keys[QUIET].alert is None
    assert feed(detector, QUIET, every(1, 6, T0 + timedelta(minutes=1))) == []  # inside it
    # fresh evidence after the close opens a new alert
    fresh = feed(detector, QUIET, every(1, 4, T0 + timedelta(hours=2, minutes=5)))
    assert [c for c, _ in fresh] == [Change.OPENED]


def test_attentions_beyond_the_lateness_are_not_judged() -> None:
    detector = Detector(baselines(), AlertRules(lateness_minutes=120))
    feed(detector, BUSY, [T0 + timedelta(hours=5)])
    assert feed(detector, QUIET, every(1, 8)) == []
    assert detector.late_attentions == 8


def test_a_replay_gives_the_same_alerts_with_the_same_ids() -> None:
    times = every(3, 10) + every(2, 8, T0 + timedelta(hours=3))
    first = feed(Detector(baselines()), QUIET, times)
    again = feed(Detector(baselines()), QUIET, times)
    assert first == again and first


def test_window_lengths_are_checked() -> None:
    with pytest.raises(ValueError, match="multiples of 5"):
        AlertRules(scales=(7,))


def test_an_attention_seen_again_changes_nothing() -> None:
    detector = Detector(baselines())
    times = every(2, 4)
    opened = [
        change
        for i, moment in enumerate(times)
        for change in detector.observe(QUIET, moment, "baja_presion", "web", f"a-{i}")
    ]
    again = [
        change
        for i, moment in enumerate(times)
        for change in detector.observe(QUIET, moment, "baja_presion", "web", f"a-{i}")
    ]
    assert [c for c, _ in opened] == [Change.OPENED] and again == []
    alert = detector.keys[QUIET].alert
    assert alert is not None and alert.attentions == 4


def test_a_key_restored_from_its_json_goes_on_as_if_never_stopped() -> None:
    times = every(3, 12)
    whole = Detector(baselines())
    expected = [
        (c, a.alert_id, a.version, a.attentions)
        for i, t in enumerate(times)
        for c, a in whole.observe(QUIET, t, "falta_agua_zona", "telefonico", f"x{i}")
    ]
    first = Detector(baselines())
    got = [
        (c, a.alert_id, a.version, a.attentions)
        for i, t in enumerate(times[:5])
        for c, a in first.observe(QUIET, t, "falta_agua_zona", "telefonico", f"x{i}")
    ]
    saved = orjson.loads(orjson.dumps(first.state_of(QUIET)))
    second = Detector(baselines())
    second.restore(QUIET, saved)
    got += [
        (c, a.alert_id, a.version, a.attentions)
        for i, t in enumerate(times)  # a replay from the start: the first five are known
        for c, a in second.observe(QUIET, t, "falta_agua_zona", "telefonico", f"x{i}")
    ]
    assert got == expected


def test_attentions_out_of_order_still_form_their_cluster() -> None:
    # 0, 3, 8 then 6 minutes (a slower source partition): the 10-minute window ending with
    # the 8th minute's bucket holds all four once the 6th arrives
    detector = Detector(baselines())
    times = [T0, T0 + timedelta(minutes=3), T0 + timedelta(minutes=8), T0 + timedelta(minutes=6)]
    changes = feed(detector, QUIET, times)
    assert [c for c, _ in changes] == [Change.OPENED]
    alert = detector.keys[QUIET].alert
    assert alert is not None and alert.attentions == 4
    assert alert.alert_id == feed(Detector(baselines()), QUIET, sorted(times))[0][1]


def test_on_an_outside_clock_attentions_wait_for_it_and_are_judged_in_time_order() -> None:
    """The worker's detector: attentions ahead of the clock (the slowest source partition)
    wait; moving it judges them in event time, whichever partition brought them first, so a
    partition a day ahead neither closes an alert early nor makes a slower one's attentions
    late, and the alert holds exactly its attentions."""
    detector = Detector(baselines(), follow_events=False)
    detector.advance_to(T0)
    assert feed(detector, QUIET, every(3, 5)) == []  # the first at the clock, four waiting
    assert feed(detector, BUSY, [T0 + timedelta(days=1)]) == []  # a partition a day ahead
    assert feed(detector, QUIET, [T0 + timedelta(minutes=20)]) == []  # a slower partition
    assert detector.keys[QUIET].alert is None and not detector.has_open_alerts
    changes = detector.advance_to(T0 + timedelta(hours=2))
    assert next(c for c, _ in changes) is Change.OPENED and changes[-1][0] is Change.CLOSED
    closed = changes[-1][1]
    assert closed.key == QUIET and closed.attentions == 6
    # an hour after its last improbable window ended (the 5-minute bucket of T0 + 20 min)
    assert closed.closed_at == T0 + timedelta(minutes=25 + 60)
    assert detector.keys[BUSY].pending and not detector.has_open_alerts
    assert detector.advance_to(T0 + timedelta(days=1)) == [] and not detector.keys[BUSY].pending
    assert detector.late_attentions == 0
