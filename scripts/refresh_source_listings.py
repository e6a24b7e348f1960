"""Refreshes the outputs of a notebook's ``dl.show_source(...)`` cells from the package as it is now.

A ``show_source`` cell displays the package's own code, so its output depends on nothing but
that code: after a change to the package, its committed output is stale even though no
result of the notebook changed. This script runs the notebook's setup cells (the first two
code cells) plus every cell that only calls ``dl.show_source``, in a fresh kernel, and
replaces those cells' outputs; every other cell is left as it is. A listing whose objects
are defined by the notebook itself (not importable after the setup cells) is skipped and
named.

Usage: python scripts/refresh_source_listings.py notebooks/NN_name.ipynb [...]
"""

import copy
import json
import os
import re
import sys

import nbformat
from nbclient import NotebookClient

_LISTING = re.compile(r"^\s*dl\.show_source\([^\n]*\)\s*;?\s*$", re.S)


def _plain(outputs):
    return json.dumps([{k: v for k, v in o.items() if k != "execution_count"} for o in outputs],
                      sort_keys=True)


def _as_committed(outputs):
    # the on-disk form (text split into lines), as Jupyter and nbformat.writes store it
    holder = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=outputs)])
    return json.loads(nbformat.writes(holder))["cells"][0]["outputs"]


def refresh(path):
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    setup = code[:2]
    listings = [i for i in code[2:] if _LISTING.match(nb.cells[i].source)]
    if not listings:
        return []
    mini = copy.deepcopy(nb)
    mini.cells = [copy.deepcopy(nb.cells[i]) for i in setup + listings]
    env = dict(os.environ, DLCOURSE_PROFILE="smoke")
    client = NotebookClient(mini, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    os.environ.update(env)
    client.execute()
    changed = []
    for i, cell in zip(listings, mini.cells[len(setup):]):
        if any(o.get("output_type") == "error" for o in cell.outputs):
            print(f"{path}: cell {i} skipped (its objects are made by the notebook): "
                  f"{nb.cells[i].source.strip()}")
            continue
        if _plain(_as_committed(cell.outputs)) != _plain(raw["cells"][i]["outputs"]):
            outputs = _as_committed(cell.outputs)
            for o in outputs:
                if "execution_count" in o:
                    o["execution_count"] = raw["cells"][i].get("execution_count")
            raw["cells"][i]["outputs"] = outputs
            changed.append(i)
    if changed:
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(raw, indent=1, ensure_ascii=False) + "\n")
    return changed


if __name__ == "__main__":
    for notebook in sys.argv[1:]:
        print(notebook, "refreshed cells:", refresh(notebook))
