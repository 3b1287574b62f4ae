"""libstats purge on a library with a current and a superseded version: dry run lists, --apply deletes exactly that,
held files stay, the current release and anything libstats did not make stay."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from libstats.config import load_config
from libstats.lifecycle import audit
from libstats.release import tree_hash
from pipelines import holds, purge
from pipelines.cli import main
from pipelines.push import release_files
from tests.lifecycle.conftest import age

QUARANTINE_LINE = "file\tline\treason\nezproxy-1.log\t3\tmatches no LogFormat\n"


def _versions(lib: Path) -> list[Path]:
    return sorted((lib / "out" / "pseudonymized" / "testville" / ".versions").iterdir())


def _setup(lib: Path) -> None:
    age(lib / "raw" / "borrowers.csv", 61)          # consumed by both releases, past 60 days
    q = lib / "quarantine" / "testville" / "FY2025"
    q.mkdir(parents=True)
    (q / "stats.bad_lines.tsv").write_text(QUARANTINE_LINE, encoding="utf-8")
    age(q / "stats.bad_lines.tsv", 61)
    (q / "notes.txt").write_text("a steward's note\n", encoding="utf-8")   # not ours


def test_dry_run_lists_and_apply_deletes_exactly_that(library, capsys):
    lib = library.parent
    _setup(lib)
    published = lib / "out" / "published" / "testville"
    pub_before = tree_hash(published)
    versions = _versions(lib)
    current = (lib / "out" / "pseudonymized" / "testville" / "FY2025").resolve()
    assert len(versions) == 2 and current in versions

    assert main(["purge", str(library)]) == 0
    out = capsys.readouterr().out
    assert "would delete  raw            raw/borrowers.csv: consumed by published FY2025" in out
    assert "keep          raw            raw/statistics.csv: 0 days old; kept 60 days" in out
    assert "would delete  quarantine     quarantine/testville/FY2025/stats.bad_lines.tsv" in out
    assert "keep          quarantine     quarantine/testville/FY2025/notes.txt: not a " \
           "quarantine file libstats wrote" in out
    assert f"keep          pseudonymized  out/pseudonymized/testville/.versions/" \
           f"{current.name}: the current version" in out
    assert "superseded by the current version" in out
    # the RADIUS source keeps no records: its raw files go as soon as published, however new
    for name in ("detail-20241010.gz", "detail-20241101"):
        assert (f"would delete  raw            raw/wifi/{name}: consumed by published FY2025; "
                "keep_records = false: purged once published") in out
    assert "keep          raw            raw/wifi/unifi-2024-11.json: 0 days old" in out
    assert "would delete 5 of" in out and "run with --apply" in out
    assert (lib / "raw" / "borrowers.csv").exists() and len(_versions(lib)) == 2
    assert not audit.log_path(lib / "out", "testville").read_text().count('"purge"')

    sha = __import__("hashlib").sha256((lib / "raw" / "borrowers.csv").read_bytes()).hexdigest()
    assert main(["purge", str(library), "--apply"]) == 0
    out = capsys.readouterr().out
    assert "deleted 5 of" in out
    assert not (lib / "raw" / "wifi" / "detail-20241101").exists()
    assert not (lib / "raw" / "borrowers.csv").exists()
    assert (lib / "raw" / "statistics.csv").exists()
    assert not (lib / "quarantine" / "testville" / "FY2025" / "stats.bad_lines.tsv").exists()
    assert (lib / "quarantine" / "testville" / "FY2025" / "notes.txt").exists()
    assert _versions(lib) == [current]
    assert (lib / "out" / "review" / "testville" / "FY2025" / "manifest.json").exists()
    assert tree_hash(published) == pub_before          # the published zone is never touched
    release_files((published / "FY2025").resolve())      # still matches its SHA256SUMS
    # analysts' views still resolve
    assert (lib / "out" / "pseudonymized" / "testville" / "FY2025" / "events").is_dir()

    [entry] = [e for e in audit.read(audit.log_path(lib / "out", "testville"))
               if e["action"] == "purge"]
    assert entry["by"] == "test-steward"
    raw = next(d for d in entry["deleted"] if d["zone"] == "raw")
    assert raw == {"zone": "raw", "path": "raw/borrowers.csv", "sha256": sha,
                   "source": "patrons", "why": raw["why"]}
    text = audit.log_path(lib / "out", "testville").read_text(encoding="utf-8")
    for value in ("Testperson", "example.com", "29999", "555-01", "06100"):
        assert value not in text
    # a second purge finds nothing more to do
    assert main(["purge", str(library), "--apply"]) == 0
    assert "deleted 0 of" in capsys.readouterr().out


def test_held_files_stay_until_the_hold_ends(library, capsys):
    lib = library.parent
    _setup(lib)
    config = load_config(library)
    today = dt.date.today()
    h1 = holds.add(config, reason="Preservation request pending a court order",
                   reference="Case 2026-CV-17", files=["raw/borrowers.csv"], today=today)
    h2 = holds.add(config, reason="Preservation request", reference="Req 44",
                   source="stats", start="2024-10-01", end="2024-10-31", today=today)
    items = purge.purge(config, apply=True, today=today, say=lambda m: None)
    why = {purge.shown(config, i.path): (i.delete, i.why) for i in items}
    assert why["raw/borrowers.csv"] == (False, f"under hold {h1.id}")
    # a range hold on a source keeps its quarantine files and every pseudonymized version
    # of the periods it overlaps
    assert why["quarantine/testville/FY2025/stats.bad_lines.tsv"] == (False, f"under hold {h2.id}")
    assert len(_versions(lib)) == 2 and (lib / "raw" / "borrowers.csv").exists()

    # 90 days: still held on the 90th day, not on the 91st
    last = today + dt.timedelta(days=89)
    assert h1.expires == last.isoformat()
    items = purge.purge(config, apply=False, today=last, say=lambda m: None)
    assert not any(i.delete for i in items if i.zone == "raw" and i.source == "patrons")
    # one extension of 90 days, then no more
    h1 = holds.extend(config, h1.id, today=last)
    assert h1.expires == (today + dt.timedelta(days=179)).isoformat()
    err = _fails(lambda: holds.extend(config, h1.id, today=last))
    assert "already extended 1 time(s)" in err
    holds.release(config, h2.id, today=last)
    items = purge.purge(config, apply=True, today=last, say=lambda m: None)
    gone = {purge.shown(config, i.path) for i in items if i.delete}
    assert "raw/borrowers.csv" not in gone
    assert "quarantine/testville/FY2025/stats.bad_lines.tsv" in gone
    after = today + dt.timedelta(days=180)
    items = purge.purge(config, apply=True, today=after, say=lambda m: None)
    assert "raw/borrowers.csv" in {purge.shown(config, i.path) for i in items if i.delete}

    assert main(["hold", "list", str(library)]) == 0
    out = capsys.readouterr().out
    assert "H1" in out and "H2  released" in out
    actions = [e["action"] for e in audit.read(audit.log_path(lib / "out", "testville"))]
    assert actions == ["release.switch", "hold.add", "hold.add", "purge",
                       "hold.extend", "hold.release", "purge", "purge"]
    assert audit.verify(audit.log_path(lib / "out", "testville")) == []


def test_hold_durations_follow_the_config(library):
    library.write_text(library.read_text(encoding="utf-8") + "\n[holds]\ndays = 30\n"
                       "extension_days = 10\nmax_extensions = 2\n", encoding="utf-8")
    config = load_config(library)
    today = dt.date(2026, 1, 1)
    h = holds.add(config, reason="Preservation", reference="Req 7", files=["raw/borrowers.csv"],
                  today=today)
    assert h.expires == "2026-01-30"
    assert holds.extend(config, h.id, today=today).expires == "2026-02-09"
    assert holds.extend(config, h.id, today=today).expires == "2026-02-19"
    assert "max_extensions" in _fails(lambda: holds.extend(config, h.id, today=today))
    # an expired hold cannot be extended
    assert "expired" in _fails(lambda: holds.extend(config, h.id, today=dt.date(2026, 3, 1)))


def test_a_hold_refuses_personal_data_and_never_echoes_it(library, capsys):
    for reason, kind in (("Officer asked, reply to j.doe@example.org", "e-mail"),
                         ("Patron card 29999000001234", "number"),
                         ("Device 02:00:00:00:00:07", "MAC"),
                         ("Client 192.0.2.15", "IP")):
        assert main(["hold", "add", str(library), "--file", "raw/borrowers.csv",
                     "--reason", reason, "--reference", "Req 1"]) == 2
        err = capsys.readouterr().err
        assert kind in err and reason.split()[-1] not in err
    assert not (library.parent / "out" / "lifecycle" / "testville" / "holds.json").exists()


def test_purge_never_deletes_what_it_cannot_prove(library, capsys):
    lib = library.parent
    age(lib / "raw" / "borrowers.csv", 400)
    # a raw file no release consumed (edited after the last run) stays, however old
    stats = lib / "raw" / "statistics.csv"
    stats.write_text(stats.read_text(encoding="utf-8") + stats.read_text(
        encoding="utf-8").splitlines()[1] + "\n", encoding="utf-8")
    age(stats, 400)
    # a superseded version whose content is not its name's hash stays
    old = next(v for v in _versions(lib)
               if v != (lib / "out" / "pseudonymized" / "testville" / "FY2025").resolve())
    (old / "extra.txt").write_text("not libstats'\n", encoding="utf-8")
    # a folder in review that is not a libstats review folder stays
    (lib / "out" / "review" / "testville" / "mine").mkdir()
    age(lib / "out" / "review" / "testville" / "FY2025" / "manifest.json", 400)
    assert main(["purge", str(library), "--apply"]) == 0
    out = capsys.readouterr().out
    assert "raw/statistics.csv: no published release consumed it" in out
    assert "its content is not its name's hash" in out and old.exists()
    assert "review/testville/mine: not a review folder libstats wrote" in out
    assert "review/testville/FY2025: 400 days old, retention 365 days" in out
    assert stats.exists() and not (lib / "raw" / "borrowers.csv").exists()


def test_retention_settings_are_checked(library, capsys):
    base = library.read_text(encoding="utf-8")
    for extra, message in (
            ("[retention]\nraw_days = -1\n", "key 'retention.raw_days': must be 0 or more"),
            ("[retention.sources.nosuch]\nkeep_records = false\n",
             "key 'retention.sources.nosuch': names no [[sources]] entry"),
            ("[quarantine]\nfolder = \"out/q\"\n", "key 'quarantine.folder': is under the "
                                                   "output folder"),
            ("[[publish.targets]]\nurl = \"s3://b/x\"\noptions = { secret = \"s\" }\n",
             "is a credential"),
            ("[[publish.targets]]\nurl = \"s3://me:pw@b/x\"\n", "holds a user name or "
                                                               "password"),
            ("[retention]\nraw_dayz = 3\n", "is not a known setting")):
        library.write_text(base + "\n" + extra, encoding="utf-8")
        assert main(["purge", str(library)]) == 2
        err = capsys.readouterr().err
        assert message in err, err
        assert "pw" not in err.replace("password", "")


def _fails(fn) -> str:
    from libstats.errors import LibstatsError
    try:
        fn()
    except LibstatsError as exc:
        return str(exc)
    raise AssertionError("did not fail")


def test_defaults_name_their_policy_clause():
    from libstats.lifecycle.settings import DEFAULT_SOURCES, Lifecycle
    life = Lifecycle()
    assert (life.raw_days, life.quarantine_days, life.hold_days, life.hold_extension_days,
            life.hold_max_extensions) == (60, 60, 90, 90, 1)
    assert "004_333ecc5162134f92.txt" in DEFAULT_SOURCES["raw_days"]
    assert "003_dbbd14c0ad649baa.txt" in DEFAULT_SOURCES["keep_records"]
    assert json.dumps(DEFAULT_SOURCES)          # serializable for the docs
