"""The ``dlcourse`` command line: list, run, doctor, data, workbook and check."""

import argparse
import json
import os
import sys

from .. import __version__


def _cmd_list(args):
    from . import catalogue as course

    available = {nb.id for nb in course.available_notebooks()}
    rows = [{"id": nb.id, "title": nb.title, "file": nb.filename, "topics": list(nb.topics),
             "accelerator": nb.accelerator, "available": nb.id in available}
            for nb in course.NOTEBOOKS]
    if not args.all:
        rows = [r for r in rows if r["available"]]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':3} {'title':54} {'accelerator':12} topics")
    for r in rows:
        mark = "" if r["available"] else " (planned)"
        print(f"{r['id']:3} {(r['title'] + mark)[:54]:54} {r['accelerator']:12} {'; '.join(r['topics'])}")
    return 0


def _run_summary(report, profile, out, written=True):
    """The closing lines of ``dlcourse run``: counts, then one line per notebook that failed."""
    from .report import error_headline

    summary = (f"{report['ok']} ok, {report['failed']} failed"
               + (f", {report['not_finished']} not finished" if report["not_finished"] else "")
               + f" in {report['wall_seconds']:.0f} s (profile {profile}); "
               + (f"report: {out}/report.html and report.json" if written else "report NOT written"))
    if report["state"] == "interrupted":
        summary = f"run interrupted by {report['signal'] or 'a stop request'}: " + summary
    for entry in report["notebooks"]:
        if entry["status"] in ("failed", "interrupted"):
            summary += f"\n  {entry['id']} {entry['status']}: {error_headline(entry['error'])}"
    return summary


def _cmd_run(args):
    from .profile import get_profile
    from .report import EXIT_REPORT_NOT_WRITTEN, ReportWriteError, exit_code
    from .run import run_course

    profile = args.profile or get_profile()
    out = args.out
    if args.resume is not None:
        if out is not None and out != args.resume:
            raise ValueError(f"--out {out!r} and --resume {args.resume!r} name different folders; "
                             "a resumed run writes into the folder it resumes.")
        out = args.resume
    out = out if out is not None else "reports/latest"
    try:
        report = run_course(ids=args.ids, profile=profile, out_dir=out,
                            write_back=args.write_back, cell_timeout=args.cell_timeout,
                            progress=not args.quiet, jobs=args.jobs, resume=args.resume is not None)
    except ReportWriteError as exc:
        if exc.report is not None and exc.report["notebooks"]:
            print(_run_summary(exc.report, profile, out, written=False), flush=True)
        print(f"dlcourse: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_REPORT_NOT_WRITTEN
    print(_run_summary(report, profile, out), flush=True)
    return exit_code(report)


_RUN_EXIT_STATUS = """exit status:
  0        every notebook ran and met its targets
  1        a notebook failed, missed a target or did not finish
  2        bad arguments, or --resume found no usable report (it is left as it is)
  3        report.json or report.html could not be written (e.g. a full disk)
  130/143  stopped by SIGINT/SIGTERM (the report says "interrupted")"""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _folder(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty folder name is not allowed")
    return text


def _cmd_doctor(args):
    from .. import data
    from ..device import describe_devices

    info = describe_devices()
    info["network"] = {"storage.googleapis.com": data.network_available(),
                       "pypi.org": data.network_available("https://pypi.org/")}
    from ..data import config

    info["data_mirror"] = config.mirror_dir_or_none()
    info["data_mirror_problem"] = config.mirror_problem()
    info["cache"] = data.cache_dir()
    info["cache_problem"] = config.cache_problem()
    statuses = data.list_datasets()
    info["datasets"] = {d["name"]: d["source"] for d in statuses}
    info["data_problems"] = [p for d in statuses for p in d["problems"]]
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"dlcourse_keras {__version__}  Python {info['python']}  TensorFlow {info['tensorflow']}  "
          f"Keras {info['keras']} ({info['keras_backend']} backend)")
    print(f"platform    {info['platform']}, {info['cpu_count']} CPU cores")
    for kind, names in info["devices"].items():
        print(f"{kind:11} {', '.join(names) if names else 'none'}")
    print(f"strategy    {info['strategy']} ({info['replicas']} replica(s)); dtype policy "
          f"{info['dtype_policy']}, recommended {info['recommended_policy']}")
    print(f"threads     intra-op {info['intra_op_threads'] or 'auto'}, inter-op "
          f"{info['inter_op_threads'] or 'auto'}")
    print("network     " + ", ".join(f"{h}: {'reachable' if ok else 'unreachable'}"
                                      for h, ok in info["network"].items()))
    print(f"data mirror {info['data_mirror_problem'] or info['data_mirror'] or 'not set (DLCOURSE_MIRROR)'}; "
          f"cache {info['cache_problem'] or info['cache']}")
    for name, source in info["datasets"].items():
        print(f"  {name:20} {'available from ' + source if source else 'NOT available'}")
    for problem in info["data_problems"]:
        print(f"  problem: {problem}")
    return 0


def _cmd_data(args):
    from .. import data

    if args.data_command == "list":
        rows = data.list_datasets(allow_network=not args.offline)
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        print(f"{'name':20} {'available':10} {'source':9} splits")
        for r in rows:
            splits = ", ".join(f"{k} {v}" for k, v in r["splits"].items())
            state = "yes" if r["available"] else "corrupt" if r["problems"] else "no"
            print(f"{r['name']:20} {state:10} {r['source'] or '-':9} {splits}")
            for problem in r["problems"]:
                print(f"    skipped a corrupted copy: {problem}")
        return 0
    if args.data_command == "verify":
        results = data.verify_all()
        bad = [r for r in results if not r["ok"]]
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            for r in results:
                state = "OK     " if r["ok"] else "MISSING" if r["actual"] is None else "BAD    "
                line = f"{state} {r['dataset']:20} {r['source']:7} {r['path']}"
                if not r["ok"]:
                    line += (f"\n    {r['algorithm']} {r['actual'] or '(file missing)'}"
                             f"\n    expected {r['expected']}")
                print(line)
            missing = sum(r["actual"] is None for r in bad)
            print(f"{len(results) - len(bad)} of {len(results)} files verified"
                  + (f"; {len(bad) - missing} MISMATCHED" if len(bad) > missing else "")
                  + (f"; {missing} MISSING" if missing else ""))
        return 1 if bad else 0
    if args.data_command == "fetch":
        names = args.names or list(data.DATASETS)
        failures = 0
        for name in names:
            try:
                source = data.fetch(name, quiet=True)
                print(f"{name:20} ready (from {source})")
            except (data.DataError, ValueError, OSError) as exc:
                failures += 1
                print(f"{name:20} FAILED: {exc}")
        return 1 if failures else 0
    return 2


def _cmd_workbook(args):
    from .workbook import write_workbooks

    for path in write_workbooks(args.ids, args.out):
        print(f"student copy: {path}")
    return 0


_CHECK_EXIT_STATUS = """exit status:
  0  every exercise of every notebook passed
  1  some exercise did not pass (or was not attempted), or a cell outside the exercises failed
  2  a file cannot be checked (not a notebook, not JSON, not nbformat 4, not a course notebook
     with exercises) or bad arguments; nothing runs then"""


def _cmd_check(args):
    from .workbook import check_exit_code, check_notebooks, format_table

    def show(entry):
        print(format_table(entry) + "\n", flush=True)

    report = check_notebooks(args.files, out_dir=args.out, profile=args.profile,
                             cell_timeout=args.cell_timeout, progress=False,
                             on_entry=None if args.quiet else show)
    rows = [r for e in report["notebooks"] for r in e["exercises"]]
    print(f"{sum(r['status'] == 'passed' for r in rows)} of {len(rows)} exercises passed in "
          f"{len(report['notebooks'])} notebook(s) (profile {args.profile}); report: "
          f"{args.out}/report.html and report.json", flush=True)
    return check_exit_code(report)


def build_parser():
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(prog="dlcourse", description="Run and check the deep-learning course.")
    parser.add_argument("--version", action="version", version=f"dlcourse_keras {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the notebooks")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all", action="store_true", help="include planned notebooks")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", help="execute notebooks headless and write a report",
                       epilog=_RUN_EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ids", nargs="*", help="notebook ids (default: all)")
    p.add_argument("--profile", choices=("smoke", "full"), default=None,
                   help="run size (default: $DLCOURSE_PROFILE, else full)")
    p.add_argument("--out", type=_folder, default=None,
                   help="output folder (default reports/latest); not the notebooks folder")
    p.add_argument("--write-back", action="store_true",
                   help="save executed outputs into the source notebooks (for committing)")
    p.add_argument("--cell-timeout", type=_positive_int, default=1800,
                   help="seconds per cell, at least 1 (default 1800)")
    p.add_argument("--jobs", "-j", type=_positive_int, default=1,
                   help="notebooks run at once, each in its own kernel (default 1)")
    p.add_argument("--resume", type=_folder, metavar="DIR", default=None,
                   help="continue the run in DIR: skip notebooks already ok in its report")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("doctor", help="versions, devices, strategy, network and data")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("data", help="list, verify or fetch the course data sets")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    q = data_sub.add_parser("list", help="availability, source and split sizes")
    q.add_argument("--json", action="store_true")
    q.add_argument("--offline", action="store_true", help="do not probe the network")
    q = data_sub.add_parser("verify", help="check every local file against its sha256")
    q.add_argument("--json", action="store_true")
    q = data_sub.add_parser("fetch", help="fill the project cache (for offline classrooms)")
    q.add_argument("names", nargs="*", help="data sets (default: all)")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("workbook", help="write student copies: solutions removed, exercise outputs cleared")
    p.add_argument("ids", nargs="*", help="notebook ids (default: every notebook with exercises)")
    p.add_argument("--out", type=_folder, required=True, help="folder for the copies; not the notebooks folder")
    p.set_defaults(func=_cmd_workbook)

    p = sub.add_parser("check", help="grade filled student notebooks headless",
                       epilog=_CHECK_EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", help="student notebooks (.ipynb)")
    p.add_argument("--profile", choices=("smoke", "full"), default="smoke", help="run size (default smoke)")
    p.add_argument("--out", type=_folder, default="reports/check",
                   help="folder for report.json, report.html and executed copies (default reports/check)")
    p.add_argument("--cell-timeout", type=_positive_int, default=600,
                   help="seconds per cell, at least 1 (default 600)")
    p.add_argument("--quiet", action="store_true", help="print only the closing line")
    p.set_defaults(func=_cmd_check)
    return parser


def main(argv=None):
    """Entry point of the ``dlcourse`` console script."""
    from .._tensorflow import quiet_tensorflow

    quiet_tensorflow()
    from ..data.config import absolute_env

    os.environ.update(absolute_env())  # kernels started later run in notebooks/
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as exc:
        print(f"dlcourse: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from ..data import DataError

        if isinstance(exc, DataError):
            print(f"dlcourse: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
