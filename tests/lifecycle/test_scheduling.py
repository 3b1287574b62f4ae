"""The schedule examples of docs/scheduling.md, exercised: the cron lines' commands run for
real (the shared library was built by the first line's ``libstats run``); the systemd unit's
``ExecStart`` lines and the Airflow DAG's tasks are run with ``libstats`` replaced by a
recorder and must run the same commands in the same order. Airflow is not installed here: the
DAG file is imported against a stub of ``airflow.sdk.DAG`` and the standard provider's
``BashOperator``."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

from pipelines.cli import build_parser, main
from tests.lifecycle.conftest import (DOC_CONFIG, DOC_LIBSTATS, blocks, cron_lines,
                                      libstats_commands, localize)

CRON_FIELD = re.compile(r"\*|\d+(-\d+)?(,\d+(-\d+)?)*(/\d+)?|\*/\d+")
RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _cron_argvs() -> list[list[str]]:
    return [argv for _, command in cron_lines() for argv in libstats_commands(command)]


def _recorder(tmp_path: Path) -> tuple[Path, Path]:
    rec, log = tmp_path / "libstats-recorder", tmp_path / "calls"
    rec.write_text(f"#!/bin/sh\nprintf '%s\\037' \"$@\" >> {log}\necho >> {log}\n",
                   encoding="utf-8")
    rec.chmod(0o755)
    return rec, log


def _calls(log: Path) -> list[list[str]]:
    return [line.rstrip("\x1f").split("\x1f") for line in
            log.read_text(encoding="utf-8").splitlines()]


def test_cron_lines_are_valid_and_their_commands_run(library, capsys):
    lines = cron_lines()
    assert len(lines) == 2
    for fields, _ in lines:
        for field, (lo, hi) in zip(fields, RANGES):
            assert CRON_FIELD.fullmatch(field), field
            for n in map(int, re.findall(r"\d+", field.split("/")[0])):
                assert lo <= n <= hi
        assert "%" not in _     # cron would cut the command at an unescaped %
    argvs = _cron_argvs()
    assert [a[0] for a in argvs] == ["run", "push", "purge"]
    for argv in argvs:
        build_parser().parse_args(localize(argv, library))
    # 'run' built the shared library; the others run here, for real
    for argv in argvs[1:]:
        assert main(localize(argv, library)) == 0, argv
    out = capsys.readouterr().out
    assert "deleted 3 of" in out          # push is quiet (-q); purge lists what it did
    assert (library.parent.parent / "pushed" / "testville" / "FY2025" / "SHA256SUMS").exists()
    assert not (library.parent / "raw" / "wifi" / "detail-20241101").exists()  # keep_records


def _ini(text: str) -> dict[str, list[tuple[str, str]]]:
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        elif "=" in line and current is not None:
            k, v = line.split("=", 1)
            current.append((k.strip(), v.strip()))
    return sections


def test_systemd_units_run_the_same_commands(tmp_path):
    service, timer = (_ini(b) for b in blocks("ini"))
    svc = dict(service["Service"])
    assert svc["Type"] == "oneshot" and svc["UMask"] == "0027"
    execs = [v for k, v in service["Service"] if k == "ExecStart"]
    rec, log = _recorder(tmp_path)
    for line in execs:
        argv = shlex.split(line)
        assert argv[0] == DOC_LIBSTATS
        subprocess.run([str(rec), *argv[1:]], check=True)
    assert _calls(log) == _cron_argvs()
    on_calendar = dict(timer["Timer"])["OnCalendar"]
    assert dict(timer["Timer"])["Persistent"] == "true"
    assert dict(timer["Install"])["WantedBy"] == "timers.target"
    analyze = shutil.which("systemd-analyze")
    if analyze:
        done = subprocess.run([analyze, "calendar", on_calendar], capture_output=True,
                              text=True)
        assert done.returncode == 0 and "Normalized form: *-08-15 02:30:00" in done.stdout
    else:
        assert re.fullmatch(r"\*-\d\d-\d\d \d\d:\d\d:\d\d", on_calendar)
    # the same moment as the cron line
    minute, hour, dom, month, _ = cron_lines()[0][0]
    assert on_calendar == f"*-{int(month):02d}-{int(dom):02d} {int(hour):02d}:{int(minute):02d}:00"


class _Task:
    def __init__(self, task_id: str, bash_command: str, **kw):
        self.task_id, self.bash_command, self.downstream = task_id, bash_command, []
        _Dag.current.tasks.append(self)

    def __rshift__(self, other):
        self.downstream.append(other)
        return other


class _Dag:
    current = None

    def __init__(self, dag_id: str, schedule: str, **kw):
        self.dag_id, self.schedule, self.kw, self.tasks = dag_id, schedule, kw, []

    def __enter__(self):
        _Dag.current = self
        return self

    def __exit__(self, *exc):
        _Dag.current = None


def test_airflow_dag_imports_and_its_tasks_run_the_same_commands(tmp_path, monkeypatch):
    [code] = blocks("python")
    path = tmp_path / "libstats_yearly.py"
    path.write_text(code, encoding="utf-8")
    stubs = {"airflow": types.ModuleType("airflow"),
             "airflow.sdk": types.ModuleType("airflow.sdk"),
             "airflow.providers": types.ModuleType("airflow.providers"),
             "airflow.providers.standard": types.ModuleType("airflow.providers.standard"),
             "airflow.providers.standard.operators":
                 types.ModuleType("airflow.providers.standard.operators"),
             "airflow.providers.standard.operators.bash":
                 types.ModuleType("airflow.providers.standard.operators.bash")}
    stubs["airflow.sdk"].DAG = _Dag
    stubs["airflow.providers.standard.operators.bash"].BashOperator = _Task
    for name, module in stubs.items():
        monkeypatch.setitem(sys.modules, name, module)
    spec = importlib.util.spec_from_file_location("libstats_yearly", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    assert dag.dag_id == "libstats_yearly" and dag.kw["catchup"] is False
    assert dag.schedule == " ".join(cron_lines()[0][0])
    # the tasks in dependency order: run >> push >> purge
    order, task = [], dag.tasks[0]
    while task:
        order.append(task)
        task = task.downstream[0] if task.downstream else None
    assert [t.task_id for t in order] == ["run", "push", "purge"] and len(dag.tasks) == 3
    rec, log = _recorder(tmp_path)
    for t in order:
        assert DOC_LIBSTATS in t.bash_command and DOC_CONFIG in t.bash_command
        subprocess.run(["bash", "-c", t.bash_command.replace(DOC_LIBSTATS, str(rec))],
                       check=True)
    assert _calls(log) == _cron_argvs()
