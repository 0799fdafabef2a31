"""Check that every notebook in nbs/ is valid nbformat, that no two of its cells share an id, and that every widget
its outputs show has its state saved with it.

    python tools/check_notebooks.py    # exit 1, naming each notebook and what is wrong

nbformat mends a repeated cell id when it reads a notebook, with only a warning, so nbdev, Jupyter and the site build
all go on; but a cell id is how a link, a review or a tool names a cell, and one id for two cells names neither. A
widget output without its state in the notebook's metadata (outputs copied in from another run of the notebook, say)
shows on the docs site, and on GitHub, as its text form, `VBox(children=(...))`, instead of the widget.
"""
import collections, json, re, sys
from pathlib import Path
import nbformat

NBS = Path(__file__).resolve().parent.parent / 'nbs'
WIDGET_VIEW, WIDGET_STATE = 'application/vnd.jupyter.widget-view+json', 'application/vnd.jupyter.widget-state+json'

def needed(shown:list, saved:dict)->set:
    "The widget models that showing `shown` takes: each one, and every model its saved state names (`IPY_MODEL_<id>`), and theirs."
    seen, todo = set(), list(shown)
    while todo:
        if (m := todo.pop()) in seen: continue
        seen.add(m); todo += re.findall(r'IPY_MODEL_([0-9a-f]+)', json.dumps(saved.get(m, {})))
    return seen

def problems(path:Path)->list:
    raw = json.loads(path.read_text())
    out = [f"{path}: cell id {i} is used {k} times: give each cell an id of its own"
           for i, k in collections.Counter(c.get('id') for c in raw['cells']).items() if k > 1]
    try: nbformat.validate(nbformat.from_dict(raw))
    except nbformat.ValidationError as e: out.append(f"{path}: not a valid notebook ({e.message})")
    saved = raw.get('metadata', {}).get('widgets', {}).get(WIDGET_STATE, {}).get('state', {})
    for c in raw['cells']:
        shown = [d['model_id'] for o in c.get('outputs', []) if (d := o.get('data', {}).get(WIDGET_VIEW))]
        if lost := sorted(needed(shown, saved) - saved.keys()): out.append(
            f"{path}: cell {c.get('id')} shows widget {', '.join(lost)}, whose state the notebook does not hold (or a part of it): "
            "run the notebook and save it with its widget state")
    return out

notebooks = sorted(NBS.glob('*.ipynb'))
if bad := [p for nb in notebooks for p in problems(nb)]: sys.exit('\n'.join(bad))
print(f"{len(notebooks)} notebooks valid, their cell ids unique, their widgets' state saved")
