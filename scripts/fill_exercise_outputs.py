"""Fills the committed outputs of a notebook's exercise section without re-running the notebook.

    .venv/bin/python scripts/fill_exercise_outputs.py notebooks/01_perceptron.ipynb

Runs, in a fresh kernel (cwd: the notebook's folder), the notebook's setup cells (every code
cell before its first ``## `` heading) and then its exercise section (from the Markdown cell
whose heading is ``## Exercises`` to the next ``## `` heading or the end). The outputs of the
exercise-section cells are copied back into the notebook; every other cell, outputs included,
is left as it is. Execution timing metadata is dropped from the section's cells, absolute paths
of this checkout and of the Python installation are removed from their outputs, and their
execution counts continue those of the cells before the section. The profile is
``$DLCOURSE_PROFILE``, ``smoke`` when unset. Nothing is written when a cell fails (exit 1).
"""

import argparse
import json
import os
import re
import sys
import sysconfig

from dlcourse_keras.course.workbook import section_bounds, setup_indices


def _scrub(text, replacements):
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def _clean_output(output, replacements):
    output = dict(output)
    if "text" in output:
        output["text"] = _scrub(output["text"] if isinstance(output["text"], str) else "".join(output["text"]),
                                replacements)
    if "data" in output:
        output["data"] = {k: (_scrub(v if isinstance(v, str) else "".join(v), replacements)
                              if k.startswith("text/") else v) for k, v in output["data"].items()}
    if "traceback" in output:
        output["traceback"] = [_scrub(line, replacements) for line in output["traceback"]]
    return output


def _split_lines(text):
    lines = text.splitlines(keepends=True)
    return lines if lines else [""]


def _as_committed(output):
    # nbformat's on-disk form: multi-line strings as lists of lines
    if "text" in output:
        output["text"] = _split_lines(output["text"])
    if "data" in output:
        output["data"] = {k: (_split_lines(v) if k.startswith("text/") and isinstance(v, str) else v)
                          for k, v in output["data"].items()}
    return output


def fill(path, timeout=600):
    """Executes setup + exercise section of ``path`` and writes the section's outputs back."""
    import nbclient
    import nbformat

    path = os.path.abspath(path)
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    cells = raw["cells"]
    start, end = section_bounds(cells)
    run_indices = setup_indices(cells) + [i for i in range(start, end) if cells[i]["cell_type"] == "code"]
    partial = nbformat.reads(json.dumps({**raw, "cells": [cells[i] for i in run_indices]}), as_version=4)
    for cell in partial.cells:
        cell.outputs = []
    env = dict(os.environ)
    env.setdefault("DLCOURSE_PROFILE", "smoke")
    env.pop("DLCOURSE_RECORD_FILE", None)
    client = nbclient.NotebookClient(partial, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": os.path.dirname(path)}})
    client.execute(env=env)
    root = os.path.dirname(os.path.dirname(path)) + os.sep
    replacements = [(root, ""), (sysconfig.get_paths()["purelib"] + os.sep, "site-packages/"),
                    (os.path.expanduser("~") + os.sep, "~/")]
    count = max([c.get("execution_count") or 0 for c in cells[:start] if c["cell_type"] == "code"], default=0)
    executed = dict(zip(run_indices, partial.cells))
    for i in range(start, end):
        cell = cells[i]
        if cell["cell_type"] != "code":
            continue
        count += 1
        cell["execution_count"] = count
        cell["outputs"] = [_as_committed(_clean_output(o, replacements))
                           for o in json.loads(json.dumps(executed[i].outputs))]
        for output in cell["outputs"]:
            if output.get("output_type") == "execute_result":
                output["execution_count"] = count
        cell["metadata"].pop("execution", None)
    text = json.dumps(raw, indent=1, ensure_ascii=False) + "\n"
    leftovers = re.findall(re.escape(root), text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return end - start, len(leftovers)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", help="notebook files")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        try:
            n, leftovers = fill(path, timeout=args.timeout)
            print(f"{path}: outputs of the {n} cells of the exercise section filled"
                  + (f"; {leftovers} path(s) of this checkout remain in the notebook" if leftovers else ""))
        except Exception as exc:  # a failing cell, a missing section: report, write nothing
            print(f"{path}: not changed: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
