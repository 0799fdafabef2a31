"""Check that every notebook in nbs/ is valid nbformat and that no two of its cells share an id.

    python tools/check_notebooks.py    # exit 1, naming each notebook and id

nbformat mends a repeated cell id when it reads a notebook, with only a warning, so nbdev, Jupyter and the site build
all go on; but a cell id is how a link, a review or a tool names a cell, and one id for two cells names neither.
"""
import collections, json, sys
from pathlib import Path
import nbformat

NBS = Path(__file__).resolve().parent.parent / 'nbs'

def problems(path:Path)->list:
    raw = json.loads(path.read_text())
    out = [f"{path}: cell id {i} is used {k} times: give each cell an id of its own"
           for i, k in collections.Counter(c.get('id') for c in raw['cells']).items() if k > 1]
    try: nbformat.validate(nbformat.from_dict(raw))
    except nbformat.ValidationError as e: out.append(f"{path}: not a valid notebook ({e.message})")
    return out

notebooks = sorted(NBS.glob('*.ipynb'))
if bad := [p for nb in notebooks for p in problems(nb)]: sys.exit('\n'.join(bad))
print(f"{len(notebooks)} notebooks valid, their cell ids unique")
