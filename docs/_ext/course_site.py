"""Sphinx extension that turns the course into a site.

At ``builder-inited`` it copies the committed notebooks into ``docs/notebooks/`` and writes
one API page per public module into ``docs/api/`` (both folders are generated and
git-ignored). At ``source-read`` it fills the landing page's course map and latest-run
sections from ``dlcourse_keras.course.catalogue`` and ``reports/latest/report.json``, adds
the exercises page to the toctree when it exists, and points the notebooks' "Open in
Colab" badge at a copy served by the site, so no page loads anything from another host.
"""

import json
import os
import pkgutil
import shutil

DOCS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(DOCS)
REPORT = os.path.join(ROOT, "reports", "latest", "report.json")

# The syllabus' five units (GBC chapters), with the notebooks that teach each one.
UNITS = (
    ("I", "Introduction", ("00",)),
    ("II", "Deep feed-forward networks", ("01", "02", "03", "04")),
    ("III", "Regularization and optimization", ("05", "06", "07")),
    ("IV", "Convolutional networks", ("08", "09", "10")),
    ("V", "Recurrent and recursive networks", ("11", "12", "13")),
)
PACKAGE = os.path.join(ROOT, "dlcourse_keras")
# Title and one-line summary of the API pages, in the reference's order: (module, title, summary).
# Every public module of the package gets a page (api_modules): one missing here comes after
# these, titled from its name and summarised by its docstring's first line, so none is forgotten.
API_MODULES = (
    ("layers", "Layers", "teaching versions of Keras layers and CNN blocks"),
    ("models", "Models", "model subclasses, builders and decoders"),
    ("callbacks", "Callbacks", "training monitors, live plots and resumable training"),
    ("initializers", "Initializers", "initializers from the notes' formulas"),
    ("schedules", "Schedules", "learning-rate schedules"),
    ("data", "Data", "the registry, verified sources, loaders and pipelines"),
    ("numpy_ref", "NumPy references", "from-scratch NumPy code that teaches and checks"),
    ("text", "Text", "vectorizers, splits and tokenizing for notebooks 12 and 13"),
    ("text_splits", "Text splits", "fixed, seeded splits of a corpus: stratified or by source sentence"),
    ("word_vectors", "Word vectors", "pretrained word vectors as an Embedding layer's starting point"),
    ("bleu", "BLEU", "corpus and sentence BLEU"),
    ("bootstrap", "Bootstrap", "a paired bootstrap: is model A really more accurate than model B?"),
    ("plots", "Plots", "Matplotlib helpers used across the notebooks"),
    ("device", "Device", "strategy and mixed-precision selection, the machine's description"),
    ("distribute", "Distributed training", "a custom training loop under any tf.distribute strategy"),
    ("seeding", "Seeding", "one call that makes a run repeatable"),
    ("registration", "Registration", "makes the package's Keras objects known to Keras's loader"),
    ("testing", "Testing", "the contract test for custom Keras layers"),
    ("validation", "Validation", "the argument checks every module shares"),
)
# Public modules with no API page: (module -> where they are documented instead).
API_EXCLUDED = {"course": "the course machinery: the guides (running.md, exercises.md) describe it"}
COLAB_BADGE_URL = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "/_static/colab-badge.svg"
EXERCISES_MARKER = "EXERCISES_IF_PRESENT"
EXERCISES_LINK_MARKER = "EXERCISES_LINK_IF_PRESENT"
EXERCISES_LINK = ("* [Exercises](exercises.md): checking answers in a notebook, student copies "
                  "and grading (`dlcourse workbook`, `dlcourse check`).")
MAP_MARKER = "<!-- course-map -->"
RUN_MARKER = "<!-- latest-run -->"
ACCELERATOR = {"none": "none needed", "optional": "optional", "recommended": "recommended"}


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def course_map_markdown(notebooks, units=UNITS):
    """The course map as MyST Markdown: one table per unit, one row per notebook.

    Args:
        notebooks: the catalogue's ``NotebookInfo`` entries.
        units: ``(numeral, title, ids)`` triples; every notebook must be in exactly one.

    Returns:
        Markdown text with links to the notebook pages.

    Raises:
        ValueError: a notebook is in no unit or in two, or a unit names an unknown id.
    """
    by_id = {nb.id: nb for nb in notebooks}
    placed = [i for _, _, ids in units for i in ids]
    unknown = sorted(set(placed) - set(by_id))
    twice = sorted({i for i in placed if placed.count(i) > 1})
    missing = sorted(set(by_id) - set(placed))
    if unknown or twice or missing:
        raise ValueError(f"units do not partition the catalogue: unknown ids {unknown}, "
                         f"ids in two units {twice}, ids in no unit {missing}")
    lines = []
    for numeral, title, ids in units:
        lines += [f"### Unit {numeral}: {title}", "",
                  "| id | notebook | what it teaches | accelerator |", "|---|---|---|---|"]
        for i in ids:
            nb = by_id[i]
            link = f"[{_cell(nb.title)}](notebooks/{nb.filename})"
            lines.append(f"| {nb.id} | {link} | {_cell('; '.join(nb.topics))} | "
                         f"{ACCELERATOR.get(nb.accelerator, nb.accelerator)} |")
        lines.append("")
    return "\n".join(lines)


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _format_value(metric):
    value = metric.get("value")
    if not _number(value):
        text = metric.get("nonfinite") or "missing"
    else:
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return text + (f" {metric['unit']}" if metric.get("unit") else "")


def _format_target(metric):
    target = metric.get("target")
    if not _number(target):
        return ""
    return (">= " if metric.get("goal", "max") == "max" else "<= ") + f"{target:g}"


def latest_run_markdown(report, report_path="reports/latest/report.json"):
    """The latest course run as MyST Markdown, or how to produce one when there is none.

    Args:
        report: the dict ``dlcourse run`` writes to ``report.json``, or None.
        report_path: where the report was read from, for the text. Default
            ``"reports/latest/report.json"``.

    Returns:
        Markdown text: a summary, the time of each notebook and every recorded metric
        against its target, exactly as the report has them.
    """
    if report is None:
        return ("No course run is recorded in this build: the site was built without "
                f"`{report_path}`. To produce one, run every notebook in the full profile "
                "(`make run`, which calls `dlcourse run --profile full`) and build the site "
                "again (`make site`); this section then shows each notebook's time and each "
                "metric against its target.\n")
    profile = report.get("profile", "?")
    state = report.get("state", "?")
    machine = report.get("machine") or {}
    versions = machine.get("versions") or {}
    lines = [f"From `{report_path}`: profile **{_cell(profile)}**, state **{_cell(state)}**, "
             f"started {_cell(report.get('started') or '?')}, "
             f"{report.get('ok', 0)} ok, {report.get('failed', 0)} failed, "
             f"{report.get('not_finished', 0)} not finished; "
             f"{_cell(machine.get('cpu_count', '?'))} CPU cores, "
             f"TensorFlow {_cell(versions.get('tensorflow', '?'))}, "
             f"Keras {_cell(versions.get('keras', '?'))}.", ""]
    if profile != "full" or state != "complete":
        lines += [":::{warning}",
                  "This is not a complete full-profile run, so its figures are not the course's "
                  "results. `make run` produces one.", ":::", ""]
    lines += ["| id | notebook | status | time (min) | metric | value | target | met |",
              "|---|---|---|---|---|---|---|---|"]
    for nb in report.get("notebooks", []):
        minutes = f"{nb['seconds'] / 60:.1f}" if _number(nb.get("seconds")) else ""
        head = [_cell(nb.get("id", "")), _cell(nb.get("title", "")), _cell(nb.get("status", "")), minutes]
        metrics = nb.get("metrics") or [{}]
        for k, m in enumerate(metrics):
            cells = head if k == 0 else ["", "", "", ""]
            if m:
                verdict = "" if not _format_target(m) else ("yes" if m.get("met") else "**no**")
                cells = cells + [f"`{_cell(m.get('name', ''))}`", _cell(_format_value(m)),
                                 _cell(_format_target(m)), verdict]
            else:
                cells = cells + ["", "", "", ""]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def read_report(path=REPORT):
    """The parsed report at ``path``, or None when there is none."""
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def sync_notebooks(source_dir, target_dir):
    """Copies every ``.ipynb`` of ``source_dir`` to ``target_dir`` and removes stale copies.

    A file whose bytes did not change is left alone, so Sphinx rereads only edited notebooks.

    Returns:
        The file names copied or refreshed.
    """
    os.makedirs(target_dir, exist_ok=True)
    wanted = sorted(n for n in os.listdir(source_dir) if n.endswith(".ipynb"))
    for name in os.listdir(target_dir):
        if name not in wanted:
            os.remove(os.path.join(target_dir, name))
    copied = []
    for name in wanted:
        src, dst = os.path.join(source_dir, name), os.path.join(target_dir, name)
        with open(src, "rb") as f:
            data = f.read()
        if os.path.exists(dst):
            with open(dst, "rb") as f:
                if f.read() == data:
                    continue
        shutil.copy2(src, dst)
        copied.append(name)
    return copied


def _write_if_changed(path, text):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _summary(path):
    import ast

    with open(path, encoding="utf-8") as f:
        doc = ast.get_docstring(ast.parse(f.read())) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def api_modules(package=PACKAGE, known=API_MODULES, excluded=API_EXCLUDED):
    """Every public module of ``package`` as ``(module, title, summary)``, in reference order.

    Args:
        package: the package's folder. Default the ``dlcourse_keras`` beside ``docs/``.
        known: ``(module, title, summary)`` of the listed modules, in their order. Default
            ``API_MODULES``.
        excluded: module -> where it is documented instead, for modules with no page.
            Default ``API_EXCLUDED``.

    Returns:
        A list: the ``known`` entries, then every other public module (its name made a
        title, its docstring's first paragraph the summary), sorted by name.

    Raises:
        ValueError: ``known`` or ``excluded`` names a module the package does not have.
    """
    found = sorted(m.name for m in pkgutil.iter_modules([package]) if not m.name.startswith("_"))
    gone = [m for m, _, _ in known if m not in found] + [m for m in excluded if m not in found]
    if gone:
        raise ValueError(f"the API reference lists modules {package} does not have: {gone}")
    listed = {m for m, _, _ in known} | set(excluded)
    modules = list(known)
    for name in found:
        if name not in listed:
            path = os.path.join(package, name, "__init__.py")
            path = path if os.path.isfile(path) else os.path.join(package, name + ".py")
            modules.append((name, name.replace("_", " ").capitalize(), _summary(path)))
    return modules


def api_page(module, title):
    """reStructuredText for one API page: the module's docstring, then each public submodule."""
    import importlib

    package = importlib.import_module(f"dlcourse_keras.{module}")
    heading = f"{title}: ``dlcourse_keras.{module}``"
    lines = [heading, "=" * len(heading), ""]
    if hasattr(package, "__path__"):
        lines += [f".. automodule:: dlcourse_keras.{module}", "   :no-members:", ""]
        for sub in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
            if sub.startswith("_"):
                continue
            name = f"dlcourse_keras.{module}.{sub}"
            lines += [f"``{sub}``", "-" * (len(sub) + 4), "",
                      f".. automodule:: {name}", "   :members:", "   :show-inheritance:", ""]
    else:
        lines += [f".. automodule:: dlcourse_keras.{module}", "   :members:",
                  "   :show-inheritance:", ""]
    return "\n".join(lines)


def write_api_pages(api_dir, modules=None):
    """Writes ``api/index.md`` and one ``api/<module>.rst`` per entry of ``modules``
    (default: :func:`api_modules`, every public module)."""
    modules = api_modules() if modules is None else modules
    os.makedirs(api_dir, exist_ok=True)
    wanted = {"index.md"} | {f"{m}.rst" for m, _, _ in modules}
    for name in os.listdir(api_dir):
        if name not in wanted:
            os.remove(os.path.join(api_dir, name))
    index = ["# API reference", "",
             "Generated from the docstrings of `dlcourse_keras`. Import the package once "
             "(`import dlcourse_keras as dl`) and reach each module as an attribute, as in "
             "Keras: `dl.layers.TeachingLSTM`, `dl.models.beam_search`, `dl.data.load_mnist`.",
             "", "| module | what |", "|---|---|"]
    index += [f"| [`dlcourse_keras.{m}`]({m}.rst) | {_cell(s)} |" for m, _, s in modules]
    index += ["", "```{toctree}", ":hidden:", ""] + [m for m, _, _ in modules] + ["```", ""]
    _write_if_changed(os.path.join(api_dir, "index.md"), "\n".join(index))
    for module, title, _ in modules:
        _write_if_changed(os.path.join(api_dir, f"{module}.rst"), api_page(module, title))


def _on_builder_inited(app):
    sync_notebooks(os.path.join(ROOT, "notebooks"), os.path.join(app.srcdir, "notebooks"))
    write_api_pages(os.path.join(app.srcdir, "api"))


def fill_landing_page(text, notebooks, report, exercises_present):
    """The landing page's source with its markers replaced.

    Raises:
        ValueError: a marker is missing (the page would silently lose a section).
    """
    for marker in (MAP_MARKER, RUN_MARKER, EXERCISES_MARKER, EXERCISES_LINK_MARKER):
        if marker not in text:
            raise ValueError(f"docs/index.md lost its {marker!r} marker")
    text = text.replace(MAP_MARKER, course_map_markdown(notebooks))
    text = text.replace(RUN_MARKER, latest_run_markdown(report))
    text = text.replace(EXERCISES_LINK_MARKER + "\n", EXERCISES_LINK + "\n" if exercises_present else "")
    return text.replace(EXERCISES_MARKER + "\n", "exercises\n" if exercises_present else "")


def _on_source_read(app, docname, source):
    if docname == "index":
        from dlcourse_keras.course import catalogue

        present = any(os.path.exists(os.path.join(app.srcdir, f"exercises{s}"))
                      for s in (".md", ".ipynb", ".rst"))
        source[0] = fill_landing_page(source[0], catalogue.NOTEBOOKS, read_report(), present)
    elif docname.startswith("notebooks/"):
        source[0] = source[0].replace(COLAB_BADGE_URL, LOCAL_BADGE)


def verbatim_docstring(name, docstring, lines, known):
    """Shows a docstring listed in ``known`` as a literal block instead of parsing it.

    Args:
        name: the object's full name.
        docstring: its docstring as written (``inspect.getdoc``).
        lines: the lines autodoc will render; replaced in place.
        known: maps a full name to a fragment of its docstring that reStructuredText
            cannot parse.

    Returns:
        None, or an error message when the fragment is gone (the docstring was fixed), so
        the entry is deleted instead of hiding a good docstring. The docstring is shown
        whole, only unformatted, so the page keeps every word.
    """
    if name not in known:
        return None
    if known[name] not in (docstring or ""):
        return (f"{name}'s docstring no longer contains {known[name]!r}: delete its entry "
                "from site_verbatim_docstrings in docs/conf.py")
    lines[:] = ["::", ""] + ["    " + line for line in docstring.splitlines()] + [""]
    return None


def _on_process_docstring(app, what, name, obj, options, lines):
    import inspect

    known = app.config.site_verbatim_docstrings
    message = verbatim_docstring(name, inspect.getdoc(obj), lines, known)
    if message:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(message)


def _init_signature(app, what, name, obj, options, signature, return_annotation):
    # Keras layers and models define __new__(cls, *args, **kwargs), which autodoc would show
    # instead of the arguments __init__ documents
    if what != "class" or signature != "(*args, **kwargs)":
        return None
    import inspect

    params = list(inspect.signature(obj.__init__).parameters.values())[1:]
    return str(inspect.Signature(params)), return_annotation


def landing_page_inputs(srcdir, report_path=REPORT):
    """A digest of what the landing page shows that Sphinx does not track: the catalogue,
    ``reports/latest/report.json`` and whether the exercises page exists."""
    import hashlib

    from dlcourse_keras.course import catalogue

    digest = hashlib.sha256()
    for path in (catalogue.__file__, report_path):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                digest.update(f.read())
        digest.update(b"\0")
    digest.update(repr(sorted(n for n in os.listdir(srcdir) if n.startswith("exercises."))).encode())
    return digest.hexdigest()


def _reread_landing_page_when_its_inputs_change(app, env, added, changed, removed):
    inputs = landing_page_inputs(app.srcdir)
    if getattr(env, "course_site_landing_inputs", None) == inputs:
        return []
    env.course_site_landing_inputs = inputs
    return ["index"]


def _own_version():
    import hashlib

    with open(os.path.abspath(__file__), "rb") as f:
        return int(hashlib.sha256(f.read()).hexdigest()[:8], 16)


def setup(app):
    app.add_config_value("site_verbatim_docstrings", {}, "env")
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-get-outdated", _reread_landing_page_when_its_inputs_change)
    app.connect("source-read", _on_source_read)
    app.connect("autodoc-process-signature", _init_signature)
    # after napoleon (priority 500), so the literal block is what autodoc renders
    app.connect("autodoc-process-docstring", _on_process_docstring, priority=900)
    # a new env_version whenever this file changes, so an incremental build rereads everything
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1",
            "env_version": _own_version()}
