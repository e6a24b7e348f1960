"""Node-and-arrow diagrams: small networks and computational graphs, drawn with Matplotlib."""

import math

from dlcourse_keras.plots._common import get_axes


def plot_graph(nodes, edges, ax=None, title="Graph", node_radius=0.28, node_colors=None,
               edge_label_position=0.5):
    """Draws a directed graph: labelled circles at given positions, arrows with optional labels.

    Used in notebook 03 for the slides' 4-2-1 network (edges labelled with weights) and for
    computational graphs (nodes are operations, edges carry the local derivatives). There is no
    Keras twin; ``keras.utils.plot_model`` draws layer graphs but needs graphviz.

    Args:
        nodes: dict ``name -> (x, y)`` or ``name -> (x, y, label)``; the label (default the
            name) is written inside the circle and may use Matplotlib maths (``"$x_1$"``).
        edges: list of ``(source, target)``, ``(source, target, label)`` or
            ``(source, target, label, position)``; every name must be a key of ``nodes``. An
            arrow runs from circle edge to circle edge; ``position`` (0 = source, 1 = target)
            places this edge's label, overriding ``edge_label_position``.
        ax: Axes to draw on. Default None (a new figure).
        title: Axes title. Default ``"Graph"``.
        node_radius: circle radius in data units. Default 0.28.
        node_colors: optional dict ``name -> colour``; others are light grey.
        edge_label_position: where along an arrow (0 = source, 1 = target) its label sits.
            Default 0.5. Labels near the source keep fan-in labels apart.

    Returns:
        The Axes.

    Example:

    >>> ax = plot_graph({"a": (0, 0), "b": (1, 0)}, [("a", "b", "$w$")], title="a -> b")
    """
    from matplotlib.patches import Circle, FancyArrowPatch

    if not isinstance(nodes, dict) or not nodes:
        raise ValueError(f"nodes={nodes!r} must be a non-empty dict name -> (x, y) or (x, y, label).")
    if not (isinstance(node_radius, (int, float)) and math.isfinite(node_radius) and node_radius > 0):
        raise ValueError(f"node_radius={node_radius!r} must be a finite number > 0.")
    if not (isinstance(edge_label_position, (int, float)) and 0 <= edge_label_position <= 1):
        raise ValueError(f"edge_label_position={edge_label_position!r} must be a number in [0, 1].")
    places, labels = {}, {}
    for name, spec in nodes.items():
        if len(spec) not in (2, 3):
            raise ValueError(f"nodes[{name!r}]={spec!r} must be (x, y) or (x, y, label).")
        places[name] = (float(spec[0]), float(spec[1]))
        labels[name] = spec[2] if len(spec) == 3 else str(name)
    ax = get_axes(ax)
    colors = node_colors or {}
    for name, (x, y) in places.items():
        ax.add_patch(Circle((x, y), node_radius, facecolor=colors.get(name, "#e8e8e8"),
                            edgecolor="black", linewidth=1.2, zorder=2))
        ax.text(x, y, labels[name], ha="center", va="center", fontsize=11, zorder=3)
    for edge in edges:
        if len(edge) not in (2, 3, 4):
            raise ValueError(f"edge {edge!r} must be (source, target), (source, target, label) "
                             "or (source, target, label, position).")
        t = edge_label_position
        if len(edge) == 4:
            t = edge[3]
            if not (isinstance(t, (int, float)) and 0 <= t <= 1):
                raise ValueError(f"edge {edge!r}: the label position {t!r} must be a number in [0, 1].")
        source, target = edge[0], edge[1]
        for end in (source, target):
            if end not in places:
                raise ValueError(f"edge {edge!r} names {end!r}, which is not among the nodes {sorted(places)}.")
        (x0, y0), (x1, y1) = places[source], places[target]
        length = math.hypot(x1 - x0, y1 - y0)
        if length <= 2 * node_radius:
            raise ValueError(f"edge {edge!r}: the two circles overlap; move the nodes apart.")
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        start = (x0 + ux * node_radius, y0 + uy * node_radius)
        end = (x1 - ux * node_radius, y1 - uy * node_radius)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, linewidth=1.1,
                                     color="#333333", zorder=1))
        if len(edge) >= 3 and edge[2]:
            lx, ly = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
            ax.text(lx, ly, edge[2], ha="center", va="center", fontsize=9, zorder=4,
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.9))
    xs = [p[0] for p in places.values()]
    ys = [p[1] for p in places.values()]
    pad = 2 * node_radius
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    return ax
