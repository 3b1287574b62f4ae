"""Write zones to disk: aside first, then switched in atomically.

Layout under the config's output folder::

    published/<library>/<period>      -> .versions/<period>.<content hash>/   (symlink)
        tables/<table>.csv, tables/<table>.parquet, manifest.json, steward_report.html
    pseudonymized/<library>/<period>  -> .versions/<period>.<content hash>/   (symlink)
        events/month=YYYY-MM/data_0.parquet, patrons.parquet, libstats.duckdb
    review/<library>/<period>/        steward report and GX Data Docs of the latest run,
                                      written for failed runs too (never sample values)

A version folder is complete before the symlink is replaced with ``os.replace`` (atomic on
POSIX), so a reader sees the old release or the new one, never a mix, and a failed run leaves
the previous release untouched. The same inputs and key give the same bytes, hence the same
version folder name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from libstats.errors import EXIT_BAD_INPUT, LibstatsError
from libstats.schema import TableSpec


def write_table_files(frame: pd.DataFrame, spec: TableSpec, folder: Path) -> dict:
    """Write one published table as CSV and Parquet; return file hashes for the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = frame[spec.column_names]
    csv_path = folder / f"{spec.name}.csv"
    out = frame.copy()
    for col, typ in spec.columns:
        if typ == "bool":
            out[col] = out[col].map({True: "true", False: "false"})
    out.to_csv(csv_path, index=False, lineterminator="\n", na_rep="")
    pq_path = folder / f"{spec.name}.parquet"
    schema = pa.schema([(c, {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_()}[t])
                        for c, t in spec.columns])
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, pq_path, compression="zstd")
    return {"csv": {"file": f"tables/{csv_path.name}", "sha256": sha256_path(csv_path)},
            "parquet": {"file": f"tables/{pq_path.name}", "sha256": sha256_path(pq_path)}}


def sha256_path(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


SUMS = "SHA256SUMS"


def write_sums(folder: Path) -> None:
    """``SHA256SUMS`` (sha256sum format) of every other file, so ``libstats check`` and
    ``sha256sum -c`` can tell a file changed, went missing or was added."""
    lines = [f"{sha256_path(p)}  {p.relative_to(folder).as_posix()}\n"
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != SUMS]
    (folder / SUMS).write_text("".join(lines), encoding="utf-8")


def tree_hash(folder: Path, exclude: tuple[str, ...] = ()) -> str:
    """Hash of every file's relative path and bytes (stable order)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel in exclude:
            continue
        h.update(rel.encode() + b"\0" + sha256_path(path).encode() + b"\n")
    return h.hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(folder: Path, prefix: str) -> None:
    """Remove ``<prefix>*-<pid>`` folders left by runs that were killed (their pid is gone)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(prefix) and path.name.rsplit("-", 1)[-1].isdigit():
            if not _alive(int(path.name.rsplit("-", 1)[-1])):
                shutil.rmtree(path, ignore_errors=True)


def staging_dir(zone_root: Path, period: str) -> Path:
    """A fresh folder beside the versions, for writing a zone before it is switched in."""
    versions = zone_root / ".versions"
    versions.mkdir(parents=True, exist_ok=True)
    sweep_stale(versions, ".staging-")
    path = versions / f".staging-{period}-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


def check_link(zone_root: Path, period: str) -> None:
    """Refuse to start when the release path is not a libstats link (nothing written yet)."""
    link = zone_root / period
    if (link.exists() or link.is_symlink()) and not link.is_symlink():
        raise ReleasePathError(f"{link} exists and is not a libstats release link; move it "
                               "away (libstats never overwrites a folder it did not create)")


class ReleasePathError(LibstatsError):
    exit_code = EXIT_BAD_INPUT


def switch_in(staged: Path, zone_root: Path, period: str,
              exclude_from_hash: tuple[str, ...] = ()) -> tuple[Path, str | None]:
    """Move a staged folder to its content-addressed version and point ``period`` at it.

    Returns the link and the version it pointed to before (None if new), for ``point``.
    """
    digest = tree_hash(staged, exclude_from_hash)[:16]
    version = zone_root / ".versions" / f"{period}.{digest}"
    if version.exists():
        shutil.rmtree(staged)   # the same content is already there (and may be in use)
    else:
        os.replace(staged, version)
    link = zone_root / period
    check_link(zone_root, period)
    previous = os.readlink(link) if link.is_symlink() else None
    point(link, str(Path(".versions") / version.name))
    return link, previous


def point(link: Path, target: str | None) -> None:
    """Atomically make ``link`` point at ``target`` (remove it when target is None)."""
    if target is None:
        if link.is_symlink():
            link.unlink()
        return
    tmp = link.parent / f".{link.name}.link-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def replace_dir(staged: Path, final: Path) -> None:
    """Swap a fully written folder in for ``final`` (two renames; used for review output,
    which is informative, not published)."""
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(staged, final)
    shutil.rmtree(old, ignore_errors=True)


def discard(staged: Path | None) -> None:
    if staged is not None and staged.exists():
        shutil.rmtree(staged, ignore_errors=True)
