"""Check that every `show_doc` output stored in the notebooks links to the line where its function or class is defined.

    python tools/check_source_links.py          # exit 1, naming each stale link, when one points elsewhere

`show_doc` writes a "[source](.../hidra_nb/X.py#LN)" link into the cell's output when the cell runs. GitHub and Colab
show that stored output; the docs site runs the cells again. An edit above a function moves its line, and the stored
link goes on pointing at the old one until the cell runs again, so CI checks them all.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r'\[source\]\([^)]*/blob/[^/]+/(?P<path>[\w/]+\.py)#L(?P<line>\d+)\)[^\n]*\n+### (?P<name>[\w.]+)')

def stale_links(nb_path:Path)->list:
    "(cell id, name, path, line) of each stored source link in `nb_path` whose line does not define its name."
    found = []
    for cell in json.loads(nb_path.read_text())['cells']:
        for out in cell.get('outputs', []):
            for m in LINK.finditer(''.join(out.get('data', {}).get('text/markdown', []))):
                lines = (ROOT / m['path']).read_text().splitlines()
                line, name = int(m['line']), m['name'].split('.')[-1]
                at = lines[line - 1] if line <= len(lines) else ''
                if not re.match(rf'\s*(async\s+def|def|class)\s+{name}\b', at): found.append((cell.get('id'), m['name'], m['path'], line))
    return found

def main():
    stale = [(nb.name, *s) for nb in sorted((ROOT / 'nbs').glob('*.ipynb')) for s in stale_links(nb)]
    for nb, cell, name, path, line in stale:
        print(f"{nb} cell {cell}: the stored link for {name} points at {path} line {line}, which does not define it: run the cell again")
    if stale: sys.exit(1)
    print("source links: every stored show_doc link points at its definition")

if __name__ == '__main__': main()
