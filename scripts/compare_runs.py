"""Which printed numbers differ between two runs of the same notebooks.

Usage::

    python scripts/compare_runs.py A B [--lines N]

A and B are notebooks or folders of executed notebooks (a `dlcourse run --out` folder, or
notebooks/ for the committed outputs). Notebooks are paired by file name. For each pair the
script prints how many code cells printed something, in how many the text differs, and up to
N differing lines of each (A's line, then B's), so a teacher can see which results move with
the hardware, the kernels (TF_ENABLE_ONEDNN_OPTS) or the library versions, and which stay
exact. Timings and paths are ignored: a line differs only if it differs after removing
numbers followed by "s", "min", "s/epoch" or "s/cell".
"""

import argparse
import json
import pathlib
import re
import sys

_TIMING = re.compile(r"\d+(\.\d+)?\s*(s/epoch|s/cell|ms/step|min|s)\b")


def printed_lines(cell):
    """The text a code cell printed (streams and plain-text results), as a list of lines."""
    text = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            text.append("".join(output["text"]))
        elif output.get("output_type") == "execute_result":
            text.append("".join(output.get("data", {}).get("text/plain", "")))
    return "".join(text).splitlines()


def comparable(line):
    return _TIMING.sub("<time>", line)


def notebooks(path):
    path = pathlib.Path(path)
    if path.is_file():
        return {path.name: path}
    return {p.name: p for p in sorted(path.glob("[0-9][0-9]_*.ipynb"))}


def compare(a, b, max_lines, any_code=False):
    cells_a = [c for c in json.loads(a.read_text())["cells"] if c["cell_type"] == "code"]
    cells_b = [c for c in json.loads(b.read_text())["cells"] if c["cell_type"] == "code"]
    if len(cells_a) != len(cells_b) or (
            not any_code and [c["source"] for c in cells_a] != [c["source"] for c in cells_b]):
        return None
    printing = differing = 0
    shown = []
    for index, (ca, cb) in enumerate(zip(cells_a, cells_b)):
        la, lb = printed_lines(ca), printed_lines(cb)
        if not (la or lb):
            continue
        printing += 1
        pairs = [(x, y) for x, y in zip(la, lb) if comparable(x) != comparable(y)]
        pairs += [(x, "") for x in la[len(lb):]] + [("", y) for y in lb[len(la):]]
        if pairs:
            differing += 1
            shown += [(index, x, y) for x, y in pairs][:max(0, max_lines - len(shown))]
    return printing, differing, shown


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--lines", type=int, default=6, help="differing lines shown per notebook (default 6)")
    parser.add_argument("--any-code", action="store_true",
                        help="compare cell by cell even where the code changed (same number of code cells)")
    args = parser.parse_args(argv)
    left, right = notebooks(args.a), notebooks(args.b)
    common = sorted(set(left) & set(right))
    if not common:
        sys.exit(f"no notebook file name is in both {args.a} and {args.b}")
    for name in common:
        result = compare(left[name], right[name], args.lines, args.any_code)
        if result is None:
            print(f"{name}: the code differs between the two runs; not compared (see --any-code)")
            continue
        printing, differing, shown = result
        print(f"{name}: {differing} of {printing} printing code cells differ")
        for index, x, y in shown:
            print(f"  code cell {index}:\n    A: {x.strip()[:150]}\n    B: {y.strip()[:150]}")


if __name__ == "__main__":
    main()
