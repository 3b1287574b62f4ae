"""The lifecycle commands: ``purge``, ``hold add / extend / release / list`` and ``push``
(added to the parser by pipelines/cli.py)."""

from __future__ import annotations


def _cmd_purge(args) -> int:
    """Delete what retention lets go (dry run unless --apply): consumed raw exports, old
    quarantine files, superseded pseudonymized versions, old review folders; never a held
    file, the current release, or anything libstats cannot prove it made or consumed."""
    from libstats.config import load_config
    from pipelines.purge import purge
    purge(load_config(args.config), apply=args.apply)
    return 0


def _cmd_hold(args) -> int:
    """Legal preservation holds: add, extend (once, by default), release, list."""
    from libstats.config import load_config
    from pipelines import holds
    config = load_config(args.config)
    if args.action == "list":
        for line in holds.listing(config) or ["no holds"]:
            print(line)
        return 0
    if args.action == "add":
        h = holds.add(config, reason=args.reason, reference=args.reference,
                      source=args.source, start=args.start, end=args.end,
                      files=args.file or [])
        print(f"hold {h.id} placed; kept until {h.expires}")
    elif args.action == "extend":
        h = holds.extend(config, args.id)
        print(f"hold {h.id} extended; kept until {h.expires}")
    else:
        h = holds.release(config, args.id)
        print(f"hold {h.id} released; its records follow retention again")
    return 0


def _cmd_push(args) -> int:
    """Copy the published zone (only) to the [[publish.targets]] and verify the copies."""
    from libstats.config import load_config
    from pipelines.push import push
    push(load_config(args.config), args.period or None,
         say=(lambda m: None) if args.quiet else print)
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("purge", help=_cmd_purge.__doc__.split(":")[0],
                       description=_cmd_purge.__doc__)
    p.add_argument("config", help="the library's TOML config file")
    p.add_argument("--apply", action="store_true",
                   help="delete (default: only list what would go and why)")
    p.set_defaults(func=_cmd_purge)

    p = sub.add_parser("hold", help=_cmd_hold.__doc__, description=_cmd_hold.__doc__)
    hsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = hsub.add_parser("add", help="place a hold on a source and date range, or on files")
    a.add_argument("config")
    a.add_argument("--source", help="a source name of the config")
    a.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first event date held")
    a.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last event date held")
    a.add_argument("--file", action="append", help="a raw file (relative to the config's "
                                                   "folder); repeatable")
    a.add_argument("--reason", required=True, help="why (no personal data)")
    a.add_argument("--reference", required=True,
                   help="the request's case or reference number (no personal data)")
    for name, text in (("extend", "extend a hold (once by default)"),
                       ("release", "release a hold")):
        e = hsub.add_parser(name, help=text)
        e.add_argument("config")
        e.add_argument("id", help="the hold's id (H1, H2, ...)")
    ls = hsub.add_parser("list", help="list holds with their status")
    ls.add_argument("config")
    p.set_defaults(func=_cmd_hold)

    p = sub.add_parser("push", help=_cmd_push.__doc__, description=_cmd_push.__doc__)
    p.add_argument("config", help="the library's TOML config file")
    p.add_argument("--period", action="append",
                   help="a period to push (repeatable; default: every published period)")
    p.add_argument("-q", "--quiet", action="store_true", help="nothing on stdout but errors")
    p.set_defaults(func=_cmd_push)
