"""Small and sparse sources publish: disclosure control's tables pass its own checks.

For any input shape (one event, one branch, one month, an empty source, a single non-zero cell,
a table whose every cell is small) the tables disclosure control produces must pass the checks
the run applies to them afterwards: the audit of the published frames (no withheld cell can be
narrowed below the protection interval), the small-cell rule of the suites (no visible count in
1..threshold outside the open whole-library figures) and the suppression flag (withheld ⇔ no
value). Or the run stops with a message in the user's terms.

Hypothesis generates tiny sources for every domain (circulation from Koha statistics, Wi-Fi
from RADIUS detail files, e-resources from EZproxy logs, and one library of the four service
domains: Libki sessions, Matomo visits, generic programs and ILL) and runs the pipeline's own steps up to
disclosure control; a few fixed cases run the whole release (suites included) end to end.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libstats.config import load_config
from libstats.errors import NoDataError
from libstats.period import parse_period
from libstats.schema import PUBLISHED_TABLES
from pipelines import run as steps
from pipelines.context import Run
from tests.conftest import BORROWER_HEADER, CONFIG, STAT_HEADER, borrower_rows, csv_text
from tests.fixtures import wifi_fixtures as wf

THRESHOLD = 10
NEW_YORK = ZoneInfo("America/New_York")
SETTINGS = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def disclose(config_path: Path, label: str = "FY2025"):
    """The pipeline's steps 1-5 on a library: the published frames and what disclosure
    control decided (its audit of the published frames included)."""
    config = load_config(config_path)
    period = parse_period(config, label)
    pkey = steps.key(config, period)
    resolved = steps.profiles(config)
    zones = steps._open_zones(config, period)
    try:
        r = Run(None, config, period, pkey, zones.work_dir)
        loaded = steps.read(r, resolved, None, None)
        staged = steps.stage(r, resolved, loaded)
        frames, protected = steps.disclosure_control(r, staged, zones)
        r.con.close()
        return frames, protected, period
    finally:
        zones.discard()


def assert_accepted(frames, protected, period) -> None:
    """What the run checks after disclosure control, on these frames."""
    failed = [c for c in protected.suppression.audit.checks() if not c.passed]
    assert not failed, [(c.table, c.detail) for c in failed]
    for name, frame in frames.items():
        if name in protected.dp_names:
            continue
        spec = PUBLISHED_TABLES[name]
        hidden = frame["suppressed"].astype(bool)
        assert frame.loc[hidden, "value"].isna().all(), name
        assert frame.loc[~hidden, "value"].notna().all(), name
        is_open = spec.open_rows(frame) if period.is_fiscal_year else [False] * len(frame)
        shown = frame[~hidden & ~frame.index.isin([i for i, o in enumerate(is_open) if o])]
        small = shown["value"].astype("Int64").between(1, THRESHOLD)
        assert not small.any(), (name, shown[small].to_dict("records"))


def library(folder: Path, extra: str = "", circulation: bool = True) -> Path:
    text = CONFIG if circulation else CONFIG.split("[[sources]]")[0]
    text = text.replace("[audience.children]",
                        '[audience.young_adult]\ncollection_codes = ["YAFIC"]\n\n'
                        "[audience.children]")
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    config = folder / "library.toml"
    config.write_text(text + extra, encoding="utf-8")
    return config


@pytest.fixture
def scratch(test_key):
    """A fresh folder per example (Hypothesis runs many examples in one test call)."""
    made = []

    def new() -> Path:
        made.append(Path(tempfile.mkdtemp(prefix="libstats-small-")))
        return made[-1]
    yield new
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


# ---- circulation ----------------------------------------------------------------------

FY_DAYS = 365
ITEMS = [("BK", "AFIC"), ("JBK", "JFIC"), ("DVD", "YAFIC"), ("DVD", "MEDIA")]
EVENTS = ["issue", "renew", "localuse", "return"]

stat_row = st.tuples(st.integers(0, FY_DAYS - 1), st.sampled_from(["MAIN", "WEST"]),
                     st.sampled_from(EVENTS), st.sampled_from(ITEMS), st.integers(1, 5))


def stat_lines(rows) -> list[list[str]]:
    out = []
    for k, (day, branch, event, (itype, ccode), patron) in enumerate(rows):
        t = dt.datetime(2024, 7, 1, 10) + dt.timedelta(days=day, minutes=k)
        out.append([t.strftime("%Y-%m-%d %H:%M:%S"), branch, "0.0000", event, "",
                    str(100 + k), itype, "GEN", str(patron), ccode, "PT", "intranet"])
    return out


def write_circulation(folder: Path, rows, empty_second: bool) -> Path:
    config = library(folder)
    raw = folder / "raw"
    (raw / "statistics.csv").write_text(csv_text(STAT_HEADER, stat_lines(rows)),
                                        encoding="utf-8")
    (raw / "borrowers.csv").write_text(csv_text(BORROWER_HEADER, borrower_rows()),
                                       encoding="utf-8")
    if empty_second:      # a second branch system's export that holds only its header
        (raw / "statistics-west.csv").write_text(csv_text(STAT_HEADER, []), encoding="utf-8")
        config.write_text(config.read_text(encoding="utf-8") + """
[[sources]]
name = "stats_west"
kind = "circulation"
format = "koha_statistics"
path = "raw/statistics-west.csv"
""", encoding="utf-8")
    return config


# Sparse: a few events, often all on one day, one branch, one item kind.
sparse_rows = st.one_of(
    st.lists(stat_row, min_size=0, max_size=6),
    st.builds(lambda r, n: [r] * n, stat_row, st.integers(1, 40)),
    st.lists(stat_row, min_size=10, max_size=60),
)


@SETTINGS
@given(rows=sparse_rows, empty_second=st.booleans())
def test_circulation_small_and_sparse_sources_pass_their_own_checks(scratch, rows,
                                                                    empty_second):
    config = write_circulation(scratch(), rows, empty_second)
    if not rows:
        # nothing at all to publish: the run says so in the user's terms
        with pytest.raises(NoDataError, match=r"no circulation events in FY2025 .*check "
                                               r"--period and the exports' date range"):
            disclose(config)
        return
    assert_accepted(*disclose(config))


def test_one_new_loan_in_an_empty_cell_does_not_stop_the_release(scratch):
    """One young-adult DVD loan in a cell that was 0, on top of a library with other
    loans: the release's own audit accepts what its suppression chose."""
    base = [(d % 120, "MAIN" if d % 3 else "WEST", "issue", ITEMS[d % 2], 1 + d % 5)
            for d in range(300)]
    for rows in (base, base + [(40, "WEST", "issue", ("DVD", "YAFIC"), 2)]):
        assert_accepted(*disclose(write_circulation(scratch(), rows, False)))


# ---- Wi-Fi ----------------------------------------------------------------------------

WIFI = """
[wifi.access_points]
MAIN = ["main-wlc"]

[[sources]]
name = "radius"
kind = "wifi"
format = "radius_detail"
path = "raw/wifi/detail-*"
timezone = "UTC"
"""

session = st.tuples(st.integers(0, FY_DAYS - 1), st.integers(0, 23), st.integers(1, 600),
                    st.integers(0, 10 ** 9), st.integers(0, 30))


def write_wifi(folder: Path, sessions) -> Path:
    config = library(folder, WIFI, circulation=False)
    (folder / "raw" / "wifi").mkdir()
    recs = []
    for k, (day, hour, minutes, octets, device) in enumerate(sessions):
        t = dt.datetime(2024, 7, 1, 12, tzinfo=dt.timezone.utc) + dt.timedelta(days=day, hours=hour % 11)
        recs.append(wf.radius_record(t, "Start", f"s{k}", wf.mac(device)))
        recs.append(wf.radius_record(t + dt.timedelta(minutes=minutes), "Stop", f"s{k}",
                                     wf.mac(device), session_time=60 * minutes, octets=octets))
    (folder / "raw" / "wifi" / "detail-2024").write_text("".join(recs), encoding="utf-8")
    return config


@SETTINGS
@given(sessions=st.one_of(st.lists(session, min_size=1, max_size=6),
                          st.lists(session, min_size=20, max_size=80)))
def test_wifi_small_and_sparse_sources_pass_their_own_checks(scratch, sessions):
    assert_accepted(*disclose(write_wifi(scratch(), sessions)))


# ---- e-resources ----------------------------------------------------------------------

ERES = """
[eresources]
proxy_hosts = ["ezproxy.testville.example"]

[[eresources.databases]]
name = "Alpha Search"
hosts = ["search.alpha.example"]
searches = ["/search*"]
requests = ["/pdf/*"]

[[eresources.databases]]
name = "Beta News"
hosts = ["news.beta.example"]
searches = ["/results*"]

[[sources]]
name = "ezproxy"
kind = "eresources"
format = "ezproxy_log"
path = "raw/eres/ezproxy-*.log"
log_format = ['%h %l %u %t "%r" %s %b']
"""

hit = st.tuples(st.integers(0, FY_DAYS - 1), st.integers(0, 9),
                st.sampled_from(["https://search.alpha.example/search?q=x",
                                 "https://search.alpha.example/pdf/1",
                                 "https://news.beta.example/results?q=y",
                                 "https://other.example.org/page"]))


def write_eres(folder: Path, hits) -> Path:
    config = library(folder, ERES, circulation=False)
    (folder / "raw" / "eres").mkdir()
    lines = []
    for k, (day, client, url) in enumerate(hits):
        t = (dt.datetime(2024, 7, 1, 12) + dt.timedelta(days=day, minutes=k)).replace(
            tzinfo=NEW_YORK)
        lines.append(f'192.0.2.{10 + client} - - [{t.strftime("%d/%b/%Y:%H:%M:%S %z")}] '
                     f'"GET {url} HTTP/1.1" 200 100')
    (folder / "raw" / "eres" / "ezproxy-2024.log").write_text(
        "\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return config


@SETTINGS
@given(hits=st.one_of(st.lists(hit, min_size=1, max_size=6),
                      st.lists(hit, min_size=20, max_size=80)))
def test_eresources_small_and_sparse_sources_pass_their_own_checks(scratch, hits):
    assert_accepted(*disclose(write_eres(scratch(), hits)))


# ---- whole runs -----------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda f: write_wifi(f, [(95, 14, 40, 10 ** 6, 1)]),
    lambda f: write_wifi(f, [(95 + k, 14, 40, 10 ** 6, k) for k in range(5)]),
    lambda f: write_circulation(f, [(10, "MAIN", "issue", ITEMS[0], 1)], True),
    lambda f: write_eres(f, [(3, 1, "https://search.alpha.example/search?q=x")]),
], ids=["wifi-one-session", "wifi-five-sessions", "circulation-one-loan-and-an-empty-export",
        "ezproxy-one-search"])
def test_a_tiny_library_publishes(scratch, make):
    from pipelines.run import run
    config_path = make(scratch())
    config = load_config(config_path)
    result = run(config, parse_period(config, "FY2025"))
    assert result.published is not None and (result.published / "manifest.json").is_file()


# ---- service domains (public computers, web, programs, ILL) ----------------------------

SERVICES = """
[computers.locations]
MAIN = ["main-lab"]
WEST = ["west-lab"]

[[sources]]
name = "libki"
kind = "computers"
format = "libki_statistics"
path = "raw/svc/libki.csv"

[[sources]]
name = "matomo"
kind = "web"
format = "matomo_visits"
path = "raw/svc/matomo.csv"

[[sources]]
name = "events"
kind = "programs"
format = "csv"
path = "raw/svc/events.csv"
columns = { day = "keep", branch = "keep", audience = "keep", format = "keep", attendance = "keep" }

[sources.mapping]
day = "day"
branch = "branch"
audience = "audience"
format = "format"
attendance = "attendance"

[[sources]]
name = "ill"
kind = "ill"
format = "csv"
path = "raw/svc/ill.csv"
columns = { day = "generalize:day", direction = "keep", filled = "keep" }

[sources.mapping]
day = "day"
direction = "direction"
filled = "filled"
"""

service_use = st.tuples(st.integers(0, FY_DAYS - 1), st.sampled_from(["main-lab", "west-lab"]),
                        st.integers(1, 130), st.sampled_from(["Teens", "Adults", "Families"]),
                        st.sampled_from(["onsite", "virtual"]), st.integers(0, 30),
                        st.sampled_from(["lent", "borrowed"]), st.booleans())


def write_services(folder: Path, uses) -> Path:
    config = library(folder, SERVICES, circulation=False)
    raw = folder / "raw" / "svc"
    raw.mkdir()
    libki, matomo, events, ill = [], [], [], []
    for k, (day, loc, minutes, aud, form, att, direction, filled) in enumerate(uses):
        t = dt.datetime(2024, 7, 1, 10) + dt.timedelta(days=day, minutes=k)
        branch = "MAIN" if loc == "main-lab" else "WEST"
        libki += [["", str(2 * k), f"guest{k}", f"{branch}-PC1", loc, "", "LOGIN",
                   f"{t:%Y-%m-%d %H:%M:%S}", "0", f"s{k}", "{}"],
                  ["", str(2 * k + 1), f"guest{k}", f"{branch}-PC1", loc, "", "LOGOUT",
                   f"{t + dt.timedelta(minutes=minutes):%Y-%m-%d %H:%M:%S}", "0", f"s{k}",
                   "{}"]]
        if f"{t:%Y-%m-%d}" not in {m[0] for m in matomo}:
            matomo.append([f"{t:%Y-%m-%d}", str(att + 1)])
        events.append([f"{t:%Y-%m-%d}", branch, aud, form, str(att)])
        ill.append([f"{t:%Y-%m-%d}", direction, "Y" if filled else "N"])
    libki_header = ["instance", "id", "username", "client_name", "client_location",
                    "client_type", "action", "created_on", "anonymized", "session_id", "info"]
    (raw / "libki.csv").write_text(csv_text(libki_header, libki), encoding="utf-8")
    (raw / "matomo.csv").write_text(csv_text(["date", "nb_visits"], matomo), encoding="utf-8")
    (raw / "events.csv").write_text(csv_text(["day", "branch", "audience", "format",
                                              "attendance"], events), encoding="utf-8")
    (raw / "ill.csv").write_text(csv_text(["day", "direction", "filled"], ill),
                                 encoding="utf-8")
    return config


@settings(SETTINGS, max_examples=3)    # four domains, seven tables per example: kept small
@given(uses=st.one_of(st.lists(service_use, min_size=1, max_size=6),
                      st.lists(service_use, min_size=20, max_size=30)))
def test_service_small_and_sparse_sources_pass_their_own_checks(scratch, uses):
    assert_accepted(*disclose(write_services(scratch(), uses)))
