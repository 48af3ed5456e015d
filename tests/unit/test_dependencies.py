"""The HTTP libraries as `make install` leaves them: clickhouse-connect on the real urllib3,
niquests (grafana-client) on urllib3-future installed beside it, not over it."""

from __future__ import annotations

import importlib.metadata

import urllib3


def test_urllib3_is_the_real_one() -> None:
    # urllib3-future's versions end in a patch number >= 900; its wheel would replace urllib3.
    patch = int(urllib3.__version__.split(".")[2])
    assert patch < 900, f"urllib3 {urllib3.__version__} is urllib3-future: run `make install`"
    assert urllib3.__version__ == importlib.metadata.version("urllib3")


def test_niquests_has_its_own_urllib3_future() -> None:
    import niquests  # noqa: PLC0415
    import urllib3_future  # noqa: PLC0415

    assert urllib3_future.__version__ == importlib.metadata.version("urllib3-future")
    # niquests talks through urllib3-future's pool, not through the real urllib3
    assert (
        niquests.Session()
        .get_adapter("https://x")
        .poolmanager.__module__.startswith("urllib3_future")
    )
