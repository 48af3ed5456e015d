"""The synthetic demo history (SYNTHETIC DEMO DATA): events reproducing the seed's figures.

Every consistent figure of the seed report is reproduced exactly by the generated attentions:
the tables of 08/11/2024, the 2024 year-to-date columns, the 2023 results, 2022's totals by
office and the evolution sentences (October 2024 vs October 2023 +11%, January-October +18%).
What the seed does not give (months, days, hours, channels of past years, 2018-2021) is
plausible and reproducible (fixed random seed). Every event carries `source: demo-history`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from demo.allocation import apportion, fit_table
from demo.seed_report import SeedFigures
from schemas.attention import DEMO_SOURCE
from schemas.catalogs import Catalogs, get_catalogs
from schemas.timestamps import LIMA, format_rfc3339
from streams.traffic_mix import HOUR_WEIGHTS, SUBTYPE_WEIGHTS, WEEKDAY_WEIGHTS

SOURCE = DEMO_SOURCE
REPORT_DAY = date(2024, 11, 8)
OUTSIDE = tuple(get_catalogs().outside_eps_scopes())
TYPES = tuple(t.code for t in get_catalogs().case_types_for_tables())
# Months of 2023 (share of the year): a strong end of year, so that Jan-Oct 2024 can be +18%
# over Jan-Oct 2023 and still leave November 2024 a realistic first week.
MONTH_WEIGHTS_2023 = (80, 78, 84, 80, 83, 82, 84, 86, 85, 86.6, 87.2, 85.2)
EARLIER_YEARS = {2018: 61_250, 2019: 70_410, 2020: 52_380, 2021: 78_930}
# The seed's Talara outage (a leak on the Paita-Talara main cut the water of Talara province):
# the day's EPS Grau calls about water supply and pressure are placed in Pariñas (Talara) in
# the morning, so the live detector raises the alert the ODS Piura wrote up by hand. Districts
# outside Sedapal and hours are not figures of the report: every figure stays as it is.
TALARA = "200701"
TALARA_SUBTYPES = ("falta_agua_zona", "falta_agua_conexion", "baja_presion")
TALARA_CALLS = 12
TALARA_FROM = datetime(2024, 11, 8, 7, 40, tzinfo=LIMA)
TALARA_MINUTES = 100


@dataclass(frozen=True)
class Profile:
    """The classification of one attention (everything but its id and time)."""

    office: str
    channel: str
    case_type: str
    case_subtype: str | None
    provider_scope: str
    provider: str | None
    provider_region: str | None
    district: str | None


Slot = tuple[str, str]  # (provider code or outside scope, region or "")


class HistoryBuilder:
    def __init__(self, seed: SeedFigures, rng_seed: int = 2024, catalogs: Catalogs | None = None):
        self.seed = seed
        self.rng = random.Random(rng_seed)
        self.catalogs = catalogs or get_catalogs()
        self.other_districts = [d.code for d in self.catalogs.districts.values() if d.order is None]

    # -- pieces ------------------------------------------------------------------------------

    def _slot_prior(self, office: str, slot: Slot) -> float:
        provider, region = slot
        if provider in OUTSIDE:
            return 1.0
        if office == "lima_callao":
            return 100.0 if provider == "sedapal" else 0.5
        if office == "lima_provincias" and region == "lima":
            return 5.0 if provider == "sedapal" else 100.0
        return 100.0 if self.catalogs.offices[office].region == region else 0.01

    def _offices_to_slots(
        self, offices: Counter[str], slots: Counter[Slot]
    ) -> list[tuple[str, Slot]]:
        table = fit_table(
            dict(offices),
            dict(slots),
            {(o, s): self._slot_prior(o, s) for o in offices for s in slots},
        )
        return [key for key, n in table.items() for _ in range(n)]

    def _subtypes(self, case_type: str, count: int) -> list[str | None]:
        if not self.catalogs.case_types[case_type].requires_subtype:
            return [None] * count
        weights = {
            s.code: float(SUBTYPE_WEIGHTS.get(s.code, 1))
            for s in self.catalogs.subtypes_of(case_type)
        }
        shares = apportion(count, weights)
        out: list[str | None] = [code for code, n in shares.items() for _ in range(n)]
        self.rng.shuffle(out)
        return out

    def _profile(
        self,
        office: str,
        channel: str,
        case_type: str,
        subtype: str | None,
        *,
        slot: Slot,
        district: str | None,
    ) -> Profile:
        provider, region = slot
        if provider in OUTSIDE:
            return Profile(office, channel, case_type, subtype, provider, None, None, None)
        explicit = region if len(self.catalogs.provider_regions[provider]) > 1 else None
        return Profile(office, channel, case_type, subtype, "eps", provider, explicit, district)

    def _district(self, code: str) -> str:
        return self.rng.choice(self.other_districts) if code == "otros" else code

    def _assemble(
        self,
        office_type: dict[tuple[str, str], int],
        slot_type: dict[tuple[Slot, str], int],
        office_channels: dict[str, dict[str, int]],
        sedapal_type: dict[tuple[str, str], int],
        subtypes: dict[str, list[str | None]] | None = None,
    ) -> list[Profile]:
        """Profiles whose (office, type), (slot, type), office channels and Sedapal districts
        match the given tables exactly."""
        channel_pool = {
            office: self._shuffled([ch for ch, n in row.items() for _ in range(n)])
            for office, row in office_channels.items()
        }
        districts = {
            t: self._shuffled(
                [
                    self._district(d)
                    for (d, tt), n in sedapal_type.items()
                    if tt == t
                    for _ in range(n)
                ]
            )
            for t in TYPES
        }
        profiles = []
        for case_type in TYPES:
            offices = Counter({o: n for (o, t), n in office_type.items() if t == case_type and n})
            slots = Counter({s: n for (s, t), n in slot_type.items() if t == case_type and n})
            pairs = self._shuffled(self._offices_to_slots(offices, slots))
            subtype_list = (subtypes or {}).get(case_type) or self._subtypes(case_type, len(pairs))
            for (office, slot), subtype in zip(pairs, subtype_list, strict=True):
                district = districts[case_type].pop() if slot[0] == "sedapal" else None
                channel = channel_pool[office].pop()
                profiles.append(
                    self._profile(office, channel, case_type, subtype, slot=slot, district=district)
                )
        return profiles

    def _shuffled(self, items: list[Any]) -> list[Any]:
        self.rng.shuffle(items)
        return items

    # -- the report day -----------------------------------------------------------------------

    def report_day(self) -> list[Profile]:
        s = self.seed
        office_type = {(o, t): n for o, row in s.office_type_day.items() for t, n in row.items()}
        slot_type = {((p, r), t): n for (p, r), row in s.eps_day.items() for t, n in row.items()}
        slot_type.update(
            {((scope, ""), t): n for scope, row in s.outside_day.items() for t, n in row.items()}
        )
        # The seed's office x channel table of the day is inconsistent (464): keep the day's channel
        # totals and each office's total, as close to that table as those allow.
        office_channel = fit_table(
            s.offices_day,
            s.channels_day,
            {(o, ch): n + 0.05 for o, row in s.office_channel_day.items() for ch, n in row.items()},
        )
        channels = {
            o: {ch: office_channel[(o, ch)] for ch in s.channels_day} for o in s.offices_day
        }
        sedapal = {(d, t): n for d, row in s.sedapal_day.items() for t, n in row.items()}
        operational: list[str | None] = [
            code for code, n in s.operational_top.items() if code != "otros" for _ in range(n)
        ]
        # The seed's "Otros" row: no other subtype may outnumber the fifth one (ties go to the
        # catalog order), the rest is the catch-all subtype.
        fifth = min(n for code, n in s.operational_top.items() if code != "otros")
        left = s.operational_top["otros"]
        for x in self.catalogs.subtypes_of("operacional"):
            if x.code in s.operational_top or x.code == "otros_operacional":
                continue
            take = min(fifth, left)
            operational += [x.code] * take
            left -= take
        operational += ["otros_operacional"] * left
        commercial: list[str | None] = [
            code for code, n in s.commercial_day.items() for _ in range(n)
        ]
        subtypes = {
            "operacional": self._shuffled(operational),
            "comercial": self._shuffled(commercial),
        }
        return self._assemble(office_type, slot_type, channels, sedapal, subtypes)

    # -- the rest of 2024 (1 January - 7 November) --------------------------------------------

    def rest_of_2024(self) -> list[Profile]:
        s = self.seed
        office_rest = {o: s.office_ytd[o] - s.offices_day[o] for o in s.office_ytd}
        total = sum(office_rest.values())
        other_types = apportion(
            total - (s.operational_ytd - 108) - (s.commercial_ytd - 273),
            {t: s.types_2023[t] for t in ("expediente_trass", "informacion_general")},
        )
        type_rest = {
            "operacional": s.operational_ytd - s.case_types_day["operacional"],
            "comercial": s.commercial_ytd - s.case_types_day["comercial"],
            **other_types,
        }
        office_type = fit_table(
            office_rest,
            type_rest,
            {(o, t): float(s.office_type_2023[o][t]) + 1 for o in office_rest for t in TYPES},
        )
        slot_rest: dict[Slot, int] = {
            (p, r): s.eps_ytd[(p, r)] - sum(s.eps_day[(p, r)].values()) for (p, r) in s.eps_ytd
        }
        slot_rest.update(
            {
                (scope, ""): s.outside_ytd[scope] - sum(s.outside_day[scope].values())
                for scope in OUTSIDE
            }
        )
        national = {t: s.types_2023[t] / s.total_2023 for t in TYPES}
        slot_type = fit_table(
            slot_rest,
            type_rest,
            {
                (slot, t): national[t]
                * (4.0 if slot[0] in OUTSIDE and t == "informacion_general" else 1.0)
                for slot in slot_rest
                for t in TYPES
            },
        )
        channels = {
            o: apportion(n, {ch: s.office_channel_2023[o][ch] + 0.5 for ch in s.channels_2023})
            for o, n in office_rest.items()
        }
        # Sedapal districts: the seed's district rows add up to one less than Sedapal's own total
        # (35,814 vs 35,815); the missing attention is placed under "Otros".
        sedapal_rest = {d: s.sedapal_ytd[d] - sum(s.sedapal_day[d].values()) for d in s.sedapal_ytd}
        sedapal_rest["otros"] += s.eps_ytd[("sedapal", "lima")] - sum(s.sedapal_ytd.values())
        sedapal_types = {t: slot_type[(("sedapal", "lima"), t)] for t in TYPES}
        sedapal = fit_table(
            sedapal_rest, sedapal_types, {(d, t): 1.0 for d in sedapal_rest for t in TYPES}
        )
        return self._assemble(office_type, slot_type, channels, sedapal)

    # -- full past years ----------------------------------------------------------------------

    def _slot_weights(self, office: str) -> dict[Slot, float]:
        s = self.seed
        weights: dict[Slot, float] = {(scope, ""): s.outside_ytd[scope] * 0.5 for scope in OUTSIDE}
        for (p, r), n in s.eps_ytd.items():
            prior = self._slot_prior(office, (p, r))
            if prior >= 5:
                weights[(p, r)] = n * prior
        return weights

    def past_year(
        self, office_channel: dict[str, dict[str, int]], office_type: dict[str, dict[str, int]]
    ) -> list[Profile]:
        """Profiles with exactly these office x channel and office x type tables."""
        s = self.seed
        district_weights = {d: float(n) for d, n in s.sedapal_ytd.items()}
        profiles = []
        for office, channel_row in office_channel.items():
            joint = fit_table(
                channel_row,
                office_type[office],
                {(ch, t): 1.0 for ch in channel_row for t in TYPES},
            )
            slot_weights = self._slot_weights(office)
            slots, weights = list(slot_weights), list(slot_weights.values())
            for (channel, case_type), n in joint.items():
                subtypes = self._subtypes(case_type, n)
                for subtype in subtypes:
                    slot = self.rng.choices(slots, weights)[0]
                    district = None
                    if slot[0] == "sedapal":
                        district = self._district(
                            self.rng.choices(
                                list(district_weights), list(district_weights.values())
                            )[0]
                        )
                    profiles.append(
                        self._profile(
                            office, channel, case_type, subtype, slot=slot, district=district
                        )
                    )
        return profiles

    def year_2023(self) -> list[Profile]:
        return self.past_year(self.seed.office_channel_2023, self.seed.office_type_2023)

    def scaled_year(self, office_totals: dict[str, int]) -> list[Profile]:
        """A year before 2023: no TRASS case files yet (the type was added in 2023)."""
        s = self.seed
        office_channel = {
            o: apportion(n, {ch: s.office_channel_2023[o][ch] + 0.5 for ch in s.channels_2023})
            for o, n in office_totals.items()
        }
        office_type = {
            o: apportion(
                n,
                {
                    "operacional": s.office_type_2023[o]["operacional"] + 1,
                    "comercial": s.office_type_2023[o]["comercial"] + 1,
                    "expediente_trass": 0,
                    "informacion_general": s.office_type_2023[o]["informacion_general"]
                    + s.office_type_2023[o]["expediente_trass"]
                    + 1,
                },
            )
            for o, n in office_totals.items()
        }
        return self.past_year(office_channel, office_type)

    # -- dates --------------------------------------------------------------------------------

    def month_plan(self) -> dict[tuple[int, int], int]:
        """Attentions per month: 2023 from weights; 2024 fixed by the evolution sentences."""
        s = self.seed
        plan: dict[tuple[int, int], int] = {}
        m23 = apportion(s.total_2023, dict(enumerate(MONTH_WEIGHTS_2023, start=1)))
        plan.update({(2023, m): n for m, n in m23.items()})
        october_23 = m23[10]
        jan_oct_23 = sum(m23[m] for m in range(1, 11))
        october_24 = round(october_23 * (1 + s.month_growth_pct / 100))
        jan_oct_24 = round(jan_oct_23 * (1 + s.period_growth_pct / 100))
        rest_2024 = s.ytd_total - s.day_total
        first_week_nov = rest_2024 - jan_oct_24
        jan_sep = apportion(jan_oct_24 - october_24, {m: float(m23[m]) for m in range(1, 10)})
        plan.update({(2024, m): n for m, n in jan_sep.items()})
        plan[(2024, 10)] = october_24
        plan[(2024, 11)] = first_week_nov  # 1-7 November; the 8th is the report day
        return plan

    def spread(
        self,
        profiles: list[Profile],
        year: int,
        months: dict[int, int],
        last_day: date | None = None,
    ) -> Iterator[tuple[datetime, Profile]]:
        """Give each profile a moment in its year, month by month, on weekdays, in office hours;
        each day's in time order, as channels publish them live (the incident detector judges
        attentions in event time: a day shuffled would be mostly too late to judge)."""
        self._shuffled(profiles)
        position = 0
        for month, count in sorted(months.items()):
            first = date(year, month, 1)
            end = date(year + (month == 12), month % 12 + 1, 1)
            if last_day is not None and end > last_day:
                end = last_day + timedelta(days=1)
            days = [first + timedelta(days=i) for i in range((end - first).days)]
            per_day = apportion(count, {d: WEEKDAY_WEIGHTS[d.weekday()] for d in days})
            for day, n in per_day.items():
                moments = [(self._moment(day), p) for p in profiles[position : position + n]]
                yield from sorted(moments, key=_moment_of)
                position += n
        assert position == len(profiles), (year, position, len(profiles))

    def _moment(self, day: date) -> datetime:
        hour = self.rng.choices(range(24), HOUR_WEIGHTS)[0]
        local = datetime(
            day.year,
            day.month,
            day.day,
            hour,
            self.rng.randrange(60),
            self.rng.randrange(60),
            tzinfo=LIMA,
        )
        return local

    # -- everything ---------------------------------------------------------------------------

    def size(self) -> int:
        """How many attentions moments() yields, from the plan alone (nothing generated)."""
        s = self.seed
        return (
            sum(EARLIER_YEARS.values())
            + sum(s.office_total_2022.values())
            + sum(self.month_plan().values())
            + s.day_total
        )

    def moments(self) -> Iterator[tuple[datetime, Profile]]:
        s = self.seed
        plan = self.month_plan()
        share_2022 = {
            o: n / sum(s.office_total_2022.values()) for o, n in s.office_total_2022.items()
        }
        for year, total in EARLIER_YEARS.items():
            offices = apportion(total, share_2022)
            months = apportion(total, dict(enumerate(MONTH_WEIGHTS_2023, start=1)))
            yield from self.spread(self.scaled_year(offices), year, months)
        months_2022 = apportion(
            sum(s.office_total_2022.values()), dict(enumerate(MONTH_WEIGHTS_2023, start=1))
        )
        yield from self.spread(self.scaled_year(dict(s.office_total_2022)), 2022, months_2022)
        yield from self.spread(
            self.year_2023(), 2023, {m: n for (y, m), n in plan.items() if y == 2023}
        )
        months_2024 = {m: n for (y, m), n in plan.items() if y == 2024}
        yield from self.spread(
            self.rest_of_2024(), 2024, months_2024, last_day=REPORT_DAY - timedelta(days=1)
        )
        yield from self.report_day_moments()

    def report_day_moments(self) -> Iterator[tuple[datetime, Profile]]:
        """The day's attentions at their hours, the Talara outage's calls clustered."""
        moments = [(self._moment(REPORT_DAY), profile) for profile in self.report_day()]
        outage = [
            i for i, (_, p) in enumerate(moments)
            if p.provider == "eps_grau" and p.case_subtype in TALARA_SUBTYPES
            and p.office in ("piura", "lima_callao")
        ]  # fmt: skip
        outage.sort(key=lambda i: (moments[i][1].office != "piura", i))  # the ODS Piura's first
        chosen = sorted(outage[:TALARA_CALLS])
        offsets = sorted(self.rng.uniform(0, TALARA_MINUTES) for _ in chosen)
        for i, minutes in zip(chosen, offsets, strict=True):
            moment = TALARA_FROM + timedelta(minutes=minutes)
            moments[i] = (moment.replace(microsecond=0), replace(moments[i][1], district=TALARA))
        return iter(sorted(moments, key=_moment_of))


def _moment_of(pair: tuple[datetime, Profile]) -> datetime:
    return pair[0]


def history_size(seed: SeedFigures) -> int:
    """How many events history_events(seed) yields, without generating them."""
    return HistoryBuilder(seed).size()


def history_events(seed: SeedFigures, rng_seed: int = 2024) -> Iterator[dict[str, Any]]:
    """The demo history as contract events (dicts), oldest year first."""
    builder = HistoryBuilder(seed, rng_seed)
    for number, (moment, p) in enumerate(builder.moments()):
        event: dict[str, Any] = {
            "attention_id": f"demo-{moment.year}-{number:07d}",
            "occurred_at": format_rfc3339(moment),
            "office": p.office,
            "channel": p.channel,
            "case_type": p.case_type,
            "provider_scope": p.provider_scope,
            "source": SOURCE,
        }
        for name in ("case_subtype", "provider", "provider_region", "district"):
            value = getattr(p, name)
            if value is not None:
                event[name] = value
        yield event
