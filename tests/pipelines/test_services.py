"""The service domains on the demo library's service exports (public computers, website,
programs, rooms, ILL): every whole-year figure the state forms take from them equals the
independent recount from the raw files (tests/oracles/services_reference.py), staged through
the domains' real load and stage steps (no full run: the disclosure steps are the other
domains' tests' business). Plus the config's checks of [computers] and [programs]."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from libstats.config import load_config
from libstats.errors import ConfigError
from libstats.period import parse_period
from libstats.profiles import resolve
from pipelines import computers, ill, programs, web
from pipelines.context import Run
from tests.oracles import services_reference as sref

SERVICE_KINDS = {"computers", "web", "programs", "room_bookings", "program_registrations",
                 "ill"}


@pytest.fixture(scope="module")
def demo_services(tmp_path_factory, demo_exports) -> Path:
    """The session's demo exports (shared, read only) beside a copy of the demo config."""
    folder = tmp_path_factory.mktemp("services-demo")
    (folder / "raw").symlink_to(demo_exports[0])
    (folder / "library.toml").write_text(resources.files("libstats.demo").joinpath(
        "library.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def _totals(folder: Path) -> dict[str, int]:
    config = load_config(folder / "library.toml")
    period = parse_period(config, "FY2025")
    con = duckdb.connect()
    run = Run(con=con, config=config, period=period, pkey=None, work_dir=folder)
    resolved = [resolve(s, config.path) for s in config.sources if s.kind in SERVICE_KINDS]
    frames = {}
    for domain in (computers, web, programs, ill):
        own = [r for r in resolved if r.profile.kind in domain.KINDS]
        domain.prepare(run, own)
        loaded = [domain.load(run, r, sorted(folder.glob(r.source.path))) for r in own]
        staged = domain.stage(run, loaded)
        frames.update({n: con.execute(sql).df() for n, sql in staged.pub_sql.items()})
        pz = folder / "pz"
        pz.mkdir(exist_ok=True)
        assert domain.write_pseudonymized(run, staged, pz)
    p = frames["pub_programs__month_audience_format"]
    out = {"PITUSR": int(frames["pub_pc_sessions__branch_month"]["value"].sum()),
           "WEBVISIT": int(frames["pub_web_visits__month"]["value"].sum())}
    i = frames["pub_ill__month"]
    i = i[i["measure"] == "filled"]
    out["LOANTO"] = int(i.loc[i["direction"] == "provided", "value"].sum())
    out["LOANFM"] = int(i.loc[i["direction"] == "received", "value"].sum())
    codes = {"ages_0_5": "K0_5", "ages_6_11": "K6_11", "ages_12_18": "YA",
             "ages_19_plus": "ADULT", "general": "GEN"}
    forms = {"onsite": "ON", "offsite": "OFF", "virtual": "VIR"}
    for measure, suffix in (("sessions", "PRO"), ("attendance", "ATTEN")):
        m = p[p["measure"] == measure]
        out[f"TOT{suffix}"] = int(m["value"].sum())
        for a, code in codes.items():
            out[f"{code}{suffix}"] = int(m.loc[m["audience"] == a, "value"].sum())
        for f, code in forms.items():
            out[f"{code}{suffix}"] = int(m.loc[m["format"] == f, "value"].sum())
    out["rooms"] = int(frames["pub_room_bookings__branch_month"]["value"].sum())
    return out


def test_demo_service_figures_match_the_independent_recount(demo_services):
    raw, cfg = demo_services / "raw", tomllib.loads(
        (demo_services / "library.toml").read_text(encoding="utf-8"))
    s, e = "2024-07-01", "2025-06-30"
    expected = {"PITUSR": sref.pc_sessions(raw, cfg["computers"]["staff_computers"], s, e),
                "WEBVISIT": sref.web_visits(raw, s, e), **sref.ill(raw, s, e),
                **sref.programs(raw, cfg["programs"]["offsite_locations"], s, e)}
    got = _totals(demo_services)
    assert {k: got[k] for k in expected} == expected
    # the hazards are there: staff sessions left out, both web tools, every format
    assert 5_000 < got["PITUSR"] and got["VIRPRO"] and got["OFFPRO"] and got["GENPRO"]
    assert got["rooms"] > 0 and got["LOANTO"] > 0 and got["LOANFM"] > 0
    assert (demo_services / "pz" / "pc_sessions.parquet").is_file()


@pytest.mark.parametrize("extra, key", [
    ('[computers.locations]\nNOWHERE = ["lab"]\n', "computers.locations.NOWHERE"),
    ('[programs.audiences]\nkids = ["Children"]\n', "programs.audiences.kids"),
])
def test_bad_service_settings_name_the_key(tmp_path, extra, key):
    text = resources.files("libstats.demo").joinpath("library.toml").read_text(
        encoding="utf-8")
    (tmp_path / "library.toml").write_text(extra + "\n" + _strip_tables(text),
                                           encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "library.toml")
    assert key.split(".")[-1] in str(exc.value)


def _strip_tables(text: str) -> str:
    """The demo config without its [computers...] and [programs...] tables."""
    out, skip = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skip = line.startswith(("[computers", "[programs"))
        if not skip:
            out.append(line)
    return "\n".join(out) + "\n"


CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance" / "services"


def _staged_case(tmp_path: Path, case: str):
    """A conformance case read and staged through its domain (as the conformance test does),
    its pseudonymized files written; returns (con, config, loaded, frames, folder)."""
    import json

    from pipelines.domains import domain_of
    from tests.conformance.services.test_services import _config_text
    folder = CONFORMANCE / case
    exp = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    (tmp_path / "library.toml").write_text(_config_text(folder, exp), encoding="utf-8")
    config = load_config(tmp_path / "library.toml")
    resolved = [resolve(s, config.path) for s in config.sources]
    con = duckdb.connect()
    run = Run(con=con, config=config, period=parse_period(config, "FY2025"), pkey=None,
              work_dir=tmp_path)
    domain = domain_of(resolved[0].profile.kind)
    domain.prepare(run, resolved)
    loaded = [domain.load(run, r, [Path(r.source.path)]) for r in resolved]
    staged = domain.stage(run, loaded)
    pz = tmp_path / "pz"
    pz.mkdir()
    domain.write_pseudonymized(run, staged, pz)
    frames = {n: con.execute(sql).df() for n, sql in staged.pub_sql.items()}
    return con, config, loaded, frames, pz


def _as_published(con, frames: dict):
    """The staged frames as the run's published tables, and GX suites that found nothing."""
    from concurrent.futures import Future
    for name, frame in frames.items():
        con.register("_f", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _f")
        con.unregister("_f")
    done: Future = Future()
    done.set_result([])
    return done


@pytest.mark.parametrize("case, leaked", [
    ("libki_statistics", "29999000000011"),          # a card number used as a user name
    ("libki_statistics", "guest1"),                   # a Libki guest pass
    ("koha_illrequests", "Test Patron test.patron@example.com"),   # the patron's note
    ("generic_room_bookings", "booker@example.org"),  # a booker's email
    ("libcal_registrations", "test.seven@example.org"),   # a registrant's email
    ("libcal_registrations", "Seven"),                # a registrant's last name
    ("libcal_registrations", "(860) 555-0107"),       # a registrant's phone
])
def test_the_scans_find_the_service_identifiers(tmp_path, case, leaked):
    from pipelines import verify
    con, config, loaded, frames, pz = _staged_case(tmp_path, case)
    done = _as_published(con, frames)
    clean = verify.run_checks(con, config, loaded, frames, pz, done)
    assert clean and all(c.passed for c in clean)
    # the same outputs with one identifier planted in a published table: a scan fails
    name = next(iter(frames))
    con.execute(f"UPDATE {name} SET fiscal_year = ? WHERE rowid = 0", [leaked])
    con.execute("DROP TABLE int_identifiers")
    for t in [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_name LIKE '_scan_%'").fetchall()]:
        con.execute(f"DROP TABLE {t}")
    found = verify.run_checks(con, config, loaded, frames, pz, done)
    failed = [c for c in found if not c.passed]
    assert failed, leaked
    assert all(leaked not in str(c.__dict__) for c in found)     # counts and names only


def test_registrations_without_their_events_export_stop_the_run(tmp_path):
    """Registrations only fill the attendance of the events export's sessions: alone they
    would be read and published nowhere, so the run stops naming the source."""
    folder = CONFORMANCE / "libcal_registrations"
    exp = {"source": {"kind": "program_registrations", "format": "libcal_registrations",
                      "file": "registrations.csv"}}
    from tests.conformance.services.test_services import _config_text
    (tmp_path / "library.toml").write_text(_config_text(folder, exp), encoding="utf-8")
    config = load_config(tmp_path / "library.toml")
    run = Run(con=duckdb.connect(), config=config, period=parse_period(config, "FY2025"),
              pkey=None, work_dir=tmp_path)
    with pytest.raises(ConfigError) as exc:
        programs.prepare(run, [resolve(s, config.path) for s in config.sources])
    assert "sources[case]" in str(exc.value) and "events export" in str(exc.value)


def test_a_registrant_email_fails_both_the_pattern_and_the_exact_match_scan(tmp_path):
    """A registrant's email is a raw identifier (exact match, case ignored) and looks like
    an email (pattern): planted in a published table, both scans fail. The exact-match scan
    collects every registrant column (names, email, phone, barcode), not the event's."""
    from pipelines import verify
    con, config, loaded, frames, pz = _staged_case(tmp_path, "libcal_registrations")
    done = _as_published(con, frames)
    con.execute("UPDATE pub_programs__month_audience_format SET fiscal_year = "
                "'TEST.SEVEN@example.org' WHERE rowid = 0")
    failed = {c.check for c in verify.run_checks(con, config, loaded, frames, pz, done)
              if not c.passed}
    assert {"pattern:email", "exact_match"} <= failed
    ids = {v for (v,) in con.execute("SELECT value FROM int_identifiers").fetchall()}
    assert {"test.seven@example.org", "Seven", "(860) 555-0107", "29999000000101"} <= ids
    assert "Registered" not in ids and "Lego Club" not in ids    # not personal: not looked for
