"""libstats push: exactly the published release (tables, manifest, steward report,
SHA256SUMS) to a folder and to S3 (moto's server mode: a real S3 API on localhost), verified
after the copy; nothing of the other zones."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from libstats.lifecycle import audit
from pipelines.cli import main
from pipelines.push import release_files

RELEASE = "out/published/testville/FY2025"


def _expected(lib: Path) -> dict[str, str]:
    return dict(release_files((lib / RELEASE).resolve()))


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_push_to_a_folder_carries_exactly_the_release(library, capsys):
    lib = library.parent
    assert main(["push", str(library)]) == 0
    assert "pushed FY2025" in capsys.readouterr().out
    pushed = lib.parent / "pushed"
    expected = _expected(lib)
    assert _tree(pushed) == {f"testville/FY2025/{k}": v for k, v in expected.items()}
    assert {"manifest.json", "steward_report.html", "SHA256SUMS"} <= set(expected)
    assert all(k.startswith("tables/") for k in expected
               if k not in ("manifest.json", "steward_report.html", "SHA256SUMS"))
    subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"],
                   cwd=pushed / "testville" / "FY2025", check=True)
    [entry] = [e for e in audit.read(audit.log_path(lib / "out", "testville"))
               if e["action"] == "publish.push"]
    assert entry["target"] == "pushed/" and entry["period"] == "FY2025"
    assert sorted(f["file"] for f in entry["files"]) == sorted(expected)

    # A file of the previous copy that the release no longer has goes (it is in the previous
    # copy's SHA256SUMS); a file the library put there itself stays.
    dest = pushed / "testville" / "FY2025"
    (dest / "tables" / "old_table.csv").write_text("x\n", encoding="utf-8")
    with open(dest / "SHA256SUMS", "a", encoding="utf-8") as fh:
        fh.write(f"{hashlib.sha256(b'x' + bytes([10])).hexdigest()}  tables/old_table.csv\n")
    (dest / "README.txt").write_text("ours\n", encoding="utf-8")
    assert main(["push", str(library), "--period", "FY2025", "-q"]) == 0
    assert not (dest / "tables" / "old_table.csv").exists() and (dest / "README.txt").exists()


def test_a_changed_release_is_not_pushed(library, capsys):
    lib = library.parent
    table = next((lib / RELEASE / "tables").glob("*.csv"))
    table.write_text(table.read_text(encoding="utf-8") + "tampered\n", encoding="utf-8")
    assert main(["push", str(library)]) == 2
    err = capsys.readouterr().err
    assert table.name in err and "SHA256SUMS" in err and "tampered" not in err
    assert not (lib.parent / "pushed").exists()


def test_a_copy_that_differs_after_the_copy_fails_the_push(library, capsys, monkeypatch):
    from fsspec.implementations.local import LocalFileSystem
    real = LocalFileSystem.put_file

    def corrupting(self, lpath, rpath, **kw):
        real(self, lpath, rpath, **kw)
        if rpath.endswith("manifest.json"):
            with open(rpath, "ab") as fh:
                fh.write(b" ")
    monkeypatch.setattr(LocalFileSystem, "put_file", corrupting)
    assert main(["push", str(library)]) == 1
    assert "differ after the copy (first: manifest.json)" in capsys.readouterr().err


@pytest.fixture
def s3(monkeypatch):
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for k, v in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                 ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(k, v)
    import boto3
    url = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    client.create_bucket(Bucket="library-share")
    yield url, client
    server.stop()


def test_push_to_s3_carries_exactly_the_release(library, s3, capsys):
    url, client = s3
    text = library.read_text(encoding="utf-8").replace(
        'url = "../pushed"', f'url = "s3://library-share/stats"\n'
                             f'options = {{ endpoint_url = "{url}" }}')
    library.write_text(text, encoding="utf-8")
    assert main(["push", str(library)]) == 0
    assert "to s3://library-share/stats" in capsys.readouterr().out
    listed = client.list_objects_v2(Bucket="library-share")["Contents"]
    got = {o["Key"]: hashlib.sha256(client.get_object(Bucket="library-share", Key=o["Key"])
                                    ["Body"].read()).hexdigest() for o in listed}
    expected = _expected(library.parent)
    assert got == {f"stats/testville/FY2025/{k}": v for k, v in expected.items()}
