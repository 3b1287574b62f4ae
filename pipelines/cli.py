"""libstats command line: anonymize library usage exports and publish leak-checked statistics.

Exit codes: 0 published (or check passed), 1 a check failed and nothing was published,
2 bad config or input, 3 internal error, 4 another run of the library and fiscal year holds the
run lock, 5 the operating system refused a read or write (disk full, file-size limit,
permission denied; the path and the cause are named).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from libstats import __version__
from libstats.errors import EXIT_INTERNAL, LibstatsError, os_failure


class Progress:
    """Prints one line per step to stderr with the elapsed time and the time the step before
    it took (``[   12.3s +1.2s] message``: a user sees where the time goes on their data);
    silent with --quiet."""

    def __init__(self, enabled: bool = True):
        self.enabled, self.t0 = enabled, time.monotonic()
        self.last = self.t0

    def __call__(self, message: str) -> None:
        if self.enabled:
            now = time.monotonic()
            print(f"[{now - self.t0:7.1f}s +{now - self.last:.1f}s] {message}", file=sys.stderr,
                  flush=True)
            self.last = now


def _cmd_keygen(args) -> int:
    """Print a new random 32-byte key (hex) to stdout."""
    from libstats.keys import generate_key
    print(generate_key())
    if sys.stdout.isatty():
        print("Store it in a secret store or a key file readable only by the pipeline; "
              "never in the config or the repository.", file=sys.stderr)
    return 0


def _summary(result, quiet: bool = False) -> None:
    if quiet:
        return
    for w in result.manifest.get("warnings", []):
        where = f" ({w['file']})" if w["file"] else ""
        count = f"{w['count']} " if w["count"] else ""
        print(f"warning: source '{w['source']}'{where}: {count}{w['what']}", file=sys.stderr)
    empty = result.manifest.get("coverage", {}).get("months_without_events")
    if empty:
        print(f"warning: no circulation event at all in {', '.join(empty)}; if the exports "
              "do not cover those months, their published zeros are not real",
              file=sys.stderr)
    if result.pending is not None:
        print(f"pending approval: {result.pending}")
        print(f"  review {result.pending / 'published' / 'steward_report.html'}, then "
              f"'libstats approve {result.pending} --by NAME' (or 'libstats reject ...')")
    else:
        print(f"published: {result.published}")
        print(f"pseudonymized zone: {result.pseudonymized}")
    print(f"steward report: {result.review / 'steward_report.html'}")
    for t in result.manifest["tables"]:
        print(f"  {t['name']}: {t['rows']} rows, {t['suppressed_cells']} cells withheld")


def _engine_args(args) -> None:
    from libstats.config import valid_memory_limit
    from libstats.errors import ConfigError
    if args.memory_limit is not None and not valid_memory_limit(args.memory_limit):
        raise ConfigError("--memory-limit", None, "must be a size like 1200MB or 4GB")
    if args.threads is not None and args.threads < 1:
        raise ConfigError("--threads", None, "must be at least 1")


def _cmd_run(args) -> int:
    """Run the pipeline for CONFIG and publish a release."""
    from libstats.config import load_config
    _engine_args(args)
    from libstats.period import parse_period
    from pipelines.run import run

    config = load_config(args.config)
    period = parse_period(config, args.period)
    progress = Progress(not args.quiet)
    progress(f"{config.library_name}: period {period.label} "
             f"({period.start} to {period.end})")
    result = run(config, period, progress=progress,
                             memory_limit=args.memory_limit, threads=args.threads)
    _summary(result, args.quiet)
    return 0


def _cmd_demo(args) -> int:
    """Generate the built-in demo library and run the whole job on it."""
    from libstats.config import load_config
    from libstats.demo.prepare import prepare_demo
    from libstats.period import parse_period
    from pipelines.run import run

    progress = Progress(not args.quiet)
    config_path = prepare_demo(Path(args.out), progress=progress)
    config = load_config(config_path)
    period = parse_period(config, "FY2025")
    result = run(config, period, progress=progress)
    _summary(result, args.quiet)
    if not args.quiet:
        print(f"demo config: {config_path}")
    return 0


def _cmd_check(args) -> int:
    """Re-validate a release folder (hashes, schema, small cells, patterns)."""
    from reports.recheck import check_release
    failures, total = check_release(Path(args.release))
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    print(f"{total - len(failures)} of {total} checks passed")
    return 0 if not failures else 1


def _cmd_report_annual(args) -> int:
    """Write the state annual report (PLS, CT or MO) into a fiscal year's release."""
    from libstats.config import load_config
    from libstats.period import default_fiscal_year
    from reports.annual import produce

    config = load_config(args.config)
    fy = args.fiscal_year if args.fiscal_year is not None else default_fiscal_year(config)
    if not 1900 < fy < 3000:
        from libstats.errors import ConfigError
        raise ConfigError("--fiscal-year", None, "must be a year like 2025")
    folder = produce(config, fy, args.form, progress=Progress(not args.quiet),
                     if_withheld=args.if_withheld)
    if not args.quiet:
        print(f"annual report ({args.form}, FY{fy}): {folder}")
        for name in sorted(p.name for p in folder.iterdir()):
            print(f"  {name}")
    return 0


def _cmd_draft_profile(args) -> int:
    """Draft the [[sources]] block for an export file (roles proposed; no value printed)."""
    from pipelines.draft import draft
    print(draft(Path(args.file), args.kind, delimiter=args.delimiter, encoding=args.encoding),
          end="")
    return 0


def _cmd_approve(args) -> int:
    """Publish a pending release (a library that requires approval)."""
    from pipelines.approval import approve
    pub_link, pz_link = approve(Path(args.release), args.by)
    print(f"published: {pub_link}")
    print(f"pseudonymized zone: {pz_link}")
    return 0


def _cmd_reject(args) -> int:
    """Discard a pending release; the decision is kept in the review folder."""
    from pipelines.approval import reject
    record = reject(Path(args.release), args.by)
    print(f"rejected; recorded in {record}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="libstats", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"libstats {__version__}",
                        help="print the version and exit")
    parser.add_argument("--debug", action="store_true",
                        help="on an internal error, print the full exception (it may contain "
                             "data values: use only on a trusted terminal)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help=_cmd_run.__doc__, description=_cmd_run.__doc__)
    p.add_argument("config", help="the library's TOML config file")
    p.add_argument("--period", help="FY2025 (a fiscal year, named by the year it ends) or "
                                    "2025-03 (one month); default: the fiscal year that ended "
                                    "in the previous calendar year")
    p.add_argument("--memory-limit", help="DuckDB memory limit, e.g. 2GB (default: DuckDB's)")
    p.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    p.add_argument("-q", "--quiet", action="store_true", help="quiet: nothing on stdout or stderr but errors")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("demo", help=_cmd_demo.__doc__, description=_cmd_demo.__doc__)
    p.add_argument("--out", default="demo-output",
                   help="folder for the demo exports, config, key and outputs "
                        "(default: ./demo-output)")
    p.add_argument("-q", "--quiet", action="store_true", help="quiet: nothing on stdout or stderr but errors")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("check", help=_cmd_check.__doc__, description=_cmd_check.__doc__)
    p.add_argument("release", help="a release folder (published/<library>/<period>)")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("report", help="reports built from a published release",
                       description="Reports built from a published release.")
    rsub = p.add_subparsers(dest="report", required=True, metavar="REPORT")
    p = rsub.add_parser("annual", help=_cmd_report_annual.__doc__,
                        description=_cmd_report_annual.__doc__)
    p.add_argument("config", help="the library's TOML config file")
    p.add_argument("--fiscal-year", type=int, metavar="YYYY",
                   help="the fiscal year, named by the year it ends (default: the one that "
                        "ended in the previous calendar year, the PLS reporting period)")
    p.add_argument("--form", default="pls",
                   help="the form's layout (reports/forms/layouts/FORM.toml; default pls)")
    p.add_argument("-q", "--quiet", action="store_true", help="quiet: nothing on stdout or stderr but errors")
    p.add_argument("--if-withheld", choices=["stop", "missing"], default="stop",
                   help="a cell a whole-library figure needs is withheld: stop (default; "
                        "nothing is written) or report the element as missing (-1), naming "
                        "the cell")
    p.set_defaults(func=_cmd_report_annual)

    p = sub.add_parser("draft-profile", help=_cmd_draft_profile.__doc__,
                       description=_cmd_draft_profile.__doc__)
    p.add_argument("file", help="the export file (CSV or TSV)")
    p.add_argument("--kind", choices=["circulation", "patrons", "items", "wifi", "eresources"],
                   help="the source kind (default: any known profile, else circulation)")
    p.add_argument("--delimiter", help="the field delimiter (default: tab for .tsv, else comma)")
    p.add_argument("--encoding", default="utf-8", help="the file's encoding (default utf-8)")
    p.set_defaults(func=_cmd_draft_profile)

    for name, func in (("approve", _cmd_approve), ("reject", _cmd_reject)):
        p = sub.add_parser(name, help=func.__doc__, description=func.__doc__)
        p.add_argument("release", help="the pending release folder "
                                       "(out/pending/<library>/<period>)")
        p.add_argument("--by", required=True, help="who decides (goes into the manifest)")
        p.set_defaults(func=func)

    p = sub.add_parser("keygen", help=_cmd_keygen.__doc__, description=_cmd_keygen.__doc__)
    p.set_defaults(func=_cmd_keygen)
    from pipelines.lifecycle_cli import add_parsers
    add_parsers(sub)     # purge, hold, push
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LibstatsError as exc:
        print(f"libstats: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("libstats: interrupted; nothing was published", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - last line of defence: never echo data
        if args.debug:
            raise
        if (failure := os_failure(exc)) is not None:
            print(f"libstats: {failure}", file=sys.stderr)
            return failure.exit_code
        if type(exc).__name__ == "OutOfMemoryException":
            print("libstats: DuckDB ran out of memory; nothing was published. Raise the limit "
                  "with --memory-limit or [engine] memory_limit (DuckDB spills to disk up to "
                  "it), or give TMPDIR more free space.", file=sys.stderr)
            return EXIT_INTERNAL
        print(f"libstats: internal error ({type(exc).__name__}); nothing was published. The "
              "message is withheld because it may contain data values; rerun with --debug on "
              "a trusted terminal to see it.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
