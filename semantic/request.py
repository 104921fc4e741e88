"""A request: everything that decides one answer, parsed once at the edge.

Why: the CLI's arguments, the Explore page's widgets and query string, and the Event study's
pickers all describe the same thing - which apps, metrics, countries, platforms and sources,
which days, at which grain, against which baseline, with which source precedence. Each
surface translates its input into a :class:`SeriesRequest` (parsing the baseline method
exactly once, into a :class:`analytics.baselines.Method`) and hands it to
:func:`semantic.answer.answer`; nothing downstream parses text again. The request is frozen
and hashable, so the pages cache answers keyed by it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from analytics import baselines
from semantic import presets

#: First-party store sources: what the stores themselves report.
FIRST_PARTY: tuple[str, ...] = ("app_store_connect", "google_play")
#: App-intelligence estimates: chosen only where no better source has the day.
ESTIMATES: tuple[str, ...] = ("appfigures", "sensortower")


def _tuple(values: object) -> tuple[str, ...]:
    """A clean tuple of distinct, non-empty strings (order kept) from a str, list or None."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:  # type: ignore[union-attr]
        text = str(v).strip() if v is not None else ""
        if text and text not in out:
            out.append(text)
    return tuple(out)


@dataclass(frozen=True)
class SeriesRequest:
    """Which series, which days, compared how.

    ``countries``/``platforms``/``sources`` empty mean "all". A dimension is kept apart (one
    series per value) when exactly one value of it is chosen, or when ``split_countries`` /
    ``split_platforms`` say so; otherwise it is totalled by the rules of
    :mod:`semantic.totals`. ``prefer`` lists the sources that win, in order, where sources
    overlap on a platform, country and day (first-party by default; estimates always come
    last unless named here).
    """

    apps: tuple[str, ...]
    metrics: tuple[str, ...]
    start: date
    end: date
    countries: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    grain: str = "day"
    method: baselines.Method = field(
        default_factory=lambda: baselines.parse_method(presets.SERIES_METHOD)
    )
    prefer: tuple[str, ...] = FIRST_PARTY
    split_countries: bool | None = None
    split_platforms: bool | None = None

    @classmethod
    def build(
        cls,
        apps: object,
        metrics: object,
        start: date,
        end: date,
        *,
        countries: object = None,
        platforms: object = None,
        sources: object = None,
        grain: str = "day",
        method: str | baselines.Method = presets.SERIES_METHOD,
        prefer: object = None,
        split_countries: bool | None = None,
        split_platforms: bool | None = None,
    ) -> SeriesRequest:
        """The one place text becomes a request: lists cleaned, country codes upper-cased,
        the method parsed (ValueError naming the valid forms), the grain checked against it."""
        m = baselines.parse_method(method)
        baselines.lookback_days(m, grain)  # raises for a method that does not work at grain
        return cls(
            apps=_tuple(apps),
            metrics=_tuple(metrics),
            start=start,
            end=end,
            countries=tuple(c.upper() for c in _tuple(countries)),
            platforms=_tuple(platforms),
            sources=_tuple(sources),
            grain=grain,
            method=m,
            prefer=_tuple(prefer) or FIRST_PARTY,
            split_countries=split_countries,
            split_platforms=split_platforms,
        )

    @property
    def by_country(self) -> bool:
        if self.split_countries is not None:
            return self.split_countries
        return len(self.countries) == 1

    @property
    def by_platform(self) -> bool:
        if self.split_platforms is not None:
            return self.split_platforms
        return len(self.platforms) == 1

    def with_range(self, start: date, end: date) -> SeriesRequest:
        return replace(self, start=start, end=end)

    def first_day_read(self, extra_days: int = 0) -> date:
        """First day the store must return: the method's look-back (and its fixed window),
        and ``extra_days`` of history for the typical change and spike scores."""
        first = baselines.fetch_start(self.method, self.start, self.grain)
        return min(first, date.fromordinal(self.start.toordinal() - extra_days))
