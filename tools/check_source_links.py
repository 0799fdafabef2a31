"""Check that every `show_doc` output stored in the notebooks links to the line where its function or class is defined.

    python tools/check_source_links.py          # exit 1, naming each stale link, when one points elsewhere
    python tools/check_source_links.py --fix    # point each stale link at its definition's line, in place

`show_doc` writes a "[source](.../hidra_nb/X.py#LN)" link into the cell's output when the cell runs. GitHub and Colab
show that stored output; the docs site runs the cells again. An edit above a function moves its line, and the stored
link goes on pointing at the old one until the cell runs again, so CI checks them all. `--fix` writes the line the
module has now (after `nbdev_export`), as running the cell would.
"""
import argparse, ast, json, re, sys
from functools import cache
from pathlib import Path
from hidra_nb.data import write_atomic

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r'(?P<head>\[source\]\([^)]*/blob/[^/]+/(?P<path>[\w/]+\.py)#L)(?P<line>\d+)(?P<tail>\)[^\n]*\n+### (?P<name>[\w.]+))')

def first_line(node)->int: return min([node.lineno] + [d.lineno for d in node.decorator_list])  # where `inspect` starts it

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

@cache
def top_level_defs(path:Path)->dict: # name -> node; each module is read once, however many links point into it
    return {n.name: n for n in ast.parse(path.read_text()).body if isinstance(n, DEFS)}

def definition_line(path:Path, qualname:str)->int: # None when the module does not define it
    "The line where `qualname` ('f', 'Class' or 'Class.method', the method in the class or `@patch`ed onto it) starts."
    top = top_level_defs(path)
    owner, _, name = qualname.rpartition('.')
    if not owner: return first_line(top[name]) if name in top else None
    if owner in top and (method := next((n for n in top[owner].body if isinstance(n, DEFS) and n.name == name), None)):
        return first_line(method)
    patched = top.get(name)  # `@patch def name(self:Owner)`
    if patched and patched.args.args and ast.unparse(patched.args.args[0].annotation or ast.Name('')) == owner: return first_line(patched)
    return None

def stored_links(nb:dict):
    "(cell, output's markdown list, match) for each source link in the notebook's stored outputs."
    for cell in nb['cells']:
        for out in cell.get('outputs', []):
            md = out.get('data', {}).get('text/markdown')
            if md: yield from ((cell, out, m) for m in LINK.finditer(''.join(md)))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--fix', action='store_true', help="point stale links at their definitions' lines, in place")
    args, stale = p.parse_args(), 0
    for nb_path in sorted((ROOT / 'nbs').glob('*.ipynb')):
        nb, changed = json.loads(nb_path.read_text()), False
        for cell, out, m in list(stored_links(nb)):
            line = definition_line(ROOT / m['path'], m['name'])
            if line == int(m['line']): continue
            if line is None or not args.fix:
                stale += 1
                print(f"{nb_path.name} cell {cell.get('id')}: the stored link for {m['name']} points at {m['path']} line {m['line']}, "
                      + (f"but it starts at line {line}: run the cell again, or this script with --fix" if line else "which does not define it: run the cell again"))
                continue
            md = ''.join(out['data']['text/markdown']).replace(m[0], f"{m['head']}{line}{m['tail']}", 1)
            out['data']['text/markdown'] = md.splitlines(keepends=True)
            changed = True
        if changed:
            write_atomic(nb_path, lambda f: f.write(json.dumps(nb, indent=1, ensure_ascii=False) + '\n'), 'w')  # a crash leaves the notebook whole
            print(f"{nb_path.name}: stale source links pointed at their definitions")
    if stale: sys.exit(1)
    print("source links: every stored show_doc link points at its definition")

if __name__ == '__main__': main()
