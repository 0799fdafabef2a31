"""Check that every `show_doc` output stored in the notebooks is what running its cell gives now.

    python tools/check_show_doc.py          # exit 1, naming each stale or missing output
    python tools/check_show_doc.py --fix    # write each one as running its cell would, in place

`show_doc` writes a function's signature, its docstring and a "[source](.../hidra_nb/X.py#LN)" link into the cell's
output when the cell runs. GitHub and Colab show that stored output; the docs site runs the cells again. An edit to a
docstring or a signature, or above a function (which moves its line), leaves the stored output stale until the cell
runs again, so CI checks them all. `--fix` renders each with nbdev's `show_doc` from this repository's library as
`nbdev_export` left it, as running the cell would. Out of a kernel nbdev cannot find the line, so the link's line is
read from the module itself: the `def` or `class` line, as nbdev links it (a decorator's line comes before it).
A cell that calls `show_doc` otherwise than `show_doc(name)` alone is named: this script could not check it.
"""
import argparse, ast, importlib, json, os, re, sys
from functools import cache
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this repository's library, not another checkout's that the environment installed
from IPython.core.formatters import DisplayFormatter
from nbdev.showdoc import show_doc
import hidra_nb
from hidra_nb.data import write_atomic
if Path(hidra_nb.__file__).resolve().parent != ROOT / 'hidra_nb':
    sys.exit(f"hidra_nb imports from {Path(hidra_nb.__file__).parent}, not from {ROOT / 'hidra_nb'}: run this script with that checkout's Python")

CELL = re.compile(r'show_doc\((?P<name>[\w.]+)\)\s*')  # a cell that shows one function, class or method
LINK = re.compile(r'(?P<head>\[source\]\([^)]*/blob/[^/]+/(?P<path>[\w/]+\.py)#L)(?P<line>\w+)(?P<tail>\)[^\n]*\n+### (?P<name>[\w.]+))')

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

@cache
def top_level_defs(path:Path)->dict: # name -> node; each module is read once, however many cells show it
    return {n.name: n for n in ast.parse(path.read_text()).body if isinstance(n, DEFS)}

def definition_line(path:Path, qualname:str)->int: # None when the module does not define it
    "The line where `qualname` ('f', 'Class' or 'Class.method', the method in the class or `@patch`ed onto it) starts."
    top = top_level_defs(path)
    owner, _, name = qualname.rpartition('.')
    # a node's lineno is its `def` line, after any decorator: where nbdev's link points, run in a kernel
    if not owner: return top[name].lineno if name in top else None
    if owner in top and (method := next((n for n in top[owner].body if isinstance(n, DEFS) and n.name == name), None)):
        return method.lineno
    patched = top.get(name)  # `@patch def name(self:Owner)`
    if patched and patched.args.args and ast.unparse(patched.args.args[0].annotation or ast.Name('')) == owner: return patched.lineno
    return None

@cache
def library()->dict: # every name the library's modules define or import, as a notebook that imports them sees it
    names = {}
    for path in sorted((ROOT / 'hidra_nb').glob('[!_]*.py')): names.update(vars(importlib.import_module(f'hidra_nb.{path.stem}')))
    return names

def shown(name:str)->dict:
    "The output a cell `show_doc(name)` stores, the link's line read from its module."
    first, *rest = name.split('.')
    obj = library()[first]
    for attr in rest: obj = getattr(obj, attr)
    data, _ = DisplayFormatter().format(show_doc(obj))
    md = data['text/markdown']
    if m := LINK.search(md):
        line = definition_line(ROOT / m['path'], m['name'])
        if line is None: raise SystemExit(f"{m['path']} does not define {m['name']}: run nbdev_export first")
        md = md.replace(m[0], f"{m['head']}{line}{m['tail']}", 1)
    return {'data': {'text/markdown': md.splitlines(keepends=True), 'text/plain': data['text/plain'].splitlines(keepends=True)},
            'execution_count': None, 'metadata': {}, 'output_type': 'execute_result'}

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--fix', action='store_true', help="write each stale or missing output as running its cell would, in place")
    args, stale = p.parse_args(), 0
    os.chdir(ROOT)  # where nbdev finds settings.ini, for the links' repository
    for nb_path in sorted((ROOT / 'nbs').glob('*.ipynb')):
        nb, changed = json.loads(nb_path.read_text()), False
        for cell in nb['cells']:
            if cell['cell_type'] != 'code' or 'show_doc(' not in (source := ''.join(cell['source'])): continue
            if not (m := CELL.fullmatch(source)):
                stale += 1
                print(f"{nb_path.name} cell {cell.get('id')}: calls show_doc otherwise than show_doc(name) alone, which this script cannot "
                      "check: give the call a cell of its own")
                continue
            if cell['outputs'] == [want := shown(m['name'])]: continue
            if args.fix: cell['outputs'], changed = [want], True
            else:
                stale += 1
                print(f"{nb_path.name} cell {cell.get('id')}: the stored output of show_doc({m['name']}) is "
                      + ("missing" if not cell['outputs'] else "not what the cell gives now") + ": run the cell again, or this script with --fix")
        if changed:
            write_atomic(nb_path, lambda f: f.write(json.dumps(nb, indent=1, ensure_ascii=False) + '\n'), 'w')  # a crash leaves the notebook whole
            print(f"{nb_path.name}: show_doc outputs written as the cells give them now")
    if stale: sys.exit(1)
    print("show_doc: every stored output is what its cell gives now")

if __name__ == '__main__': main()
