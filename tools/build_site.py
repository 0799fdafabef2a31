#!/usr/bin/env python
"""Build the docs site offline, without Quarto:  python tools/build_site.py   ->  _site/

1. nbdev 2's own docs processing (`nbdev.serve.proc_nbs`, the step `nbdev_docs` runs before Quarto) writes the
   processed notebooks to `_proc/`: frontmatter from the `# Title` cell, `#| hide`/`#| export` cells removed,
   `show_doc` cells executed to markdown, backticked names linked, other directives left for the renderer.
2. nbconvert's HTML exporter (JupyterLab template, extended in `tools/site_template/`) renders one page per
   notebook, named like Quarto names it (`02_core.ipynb` -> `core.html`), with figures inline and a chapter sidebar.
   The few Quarto features nbdev leaves for Quarto are done here: the `#| echo/output/include/code-fold`
   directives, `:::` fenced divs (callouts), `[text](url){attrs}` links, pandoc heading ids (the anchors nbdev's
   doc links point at) and links to the published site made relative.
3. Equations: KaTeX, taken from the npm registry by package name (`npm pack`, cached in
   $HIDRA_DOCS_CACHE or ~/.cache/hidra_nb_docs) and copied into `_site/_static/`; nothing loads from a CDN.
   Pages with ipywidgets get @jupyter-widgets/html-manager the same way.

Needs: the project venv (nbdev, nbconvert) and `npm` on PATH (see tools/install_docs_deps.sh).
"""
import argparse, html, json, os, posixpath, re, shutil, subprocess, sys, tarfile, tempfile, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = Path(__file__).resolve().parent/'site_template'
CACHE = Path(os.environ.get('HIDRA_DOCS_CACHE') or Path.home()/'.cache'/'hidra_nb_docs')
KATEX = ('katex', '0.16.47')
WIDGETS = ('@jupyter-widgets/html-manager', '1.0.15')
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'

def log(*a): print('build_site:', *a, flush=True)

# ---------------------------------------------------------------- npm assets
def npm_package(name, version):
    "Unpacked npm package `name@version` (registry tarball via `npm pack`, cached under CACHE)."
    dest = CACHE/f"{name.replace('@', '').replace('/', '__')}-{version}"
    if (dest/'package.json').exists(): return dest
    if not shutil.which('npm'): sys.exit(f'build_site: npm is needed to fetch {name}@{version}: run tools/install_docs_deps.sh')
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as td:
        r = subprocess.run(['npm', 'pack', f'{name}@{version}', '--silent', '--pack-destination', td],
                           capture_output=True, text=True)
        tgz = list(Path(td).glob('*.tgz'))
        if r.returncode or not tgz: sys.exit(f'build_site: `npm pack {name}@{version}` failed:\n{r.stderr.strip()}')
        with tarfile.open(tgz[0]) as tf:
            try: tf.extractall(Path(td)/'x', filter='data')
            except TypeError: tf.extractall(Path(td)/'x')  # Python without extraction filters
        shutil.rmtree(dest, ignore_errors=True)
        shutil.move(str(Path(td)/'x'/'package'), dest)
    return dest

def copy_katex(static):
    d = npm_package(*KATEX)/'dist'
    out = static/'katex'
    (out/'contrib').mkdir(parents=True, exist_ok=True)
    for f in ('katex.min.js', 'katex.min.css', 'contrib/auto-render.min.js'): shutil.copy2(d/f, out/f)
    shutil.copytree(d/'fonts', out/'fonts', dirs_exist_ok=True)

def copy_widgets(static):
    d = npm_package(*WIDGETS)/'dist'
    out = static/'widgets'
    out.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir():  # the standalone bundle and the font files it points at
        if f.name == 'embed.js' or f.suffix in ('.woff', '.woff2', '.ttf', '.eot', '.svg'): shutil.copy2(f, out/f.name)

# ---------------------------------------------------------------- notebooks and pages
def site_pages():
    "[(notebook path relative to nbs, html page path relative to _site)], index first, then filename order, as nbdev orders Quarto's sidebar."
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob, _nbpath2html
    from nbdev.quarto import _sort
    nbs = get_config().nbs_path
    files = nbglob(nbs, func=lambda d, n: (Path(d), n), skip_folder_re=r'(?:^[_.]|^www\$)').sorted(key=_sort)
    return [((d/n).relative_to(nbs), _nbpath2html((d/n).relative_to(nbs))) for d, n in files]

def process_notebooks(workers, force):
    "nbdev's docs processing into _proc/ (what `nbdev_docs` hands to Quarto)."
    from nbdev.serve import proc_nbs
    try: return proc_nbs(n_workers=workers, force=force)
    except Exception as e:
        cause = e.__cause__ or e.__context__  # from a worker process: the remote traceback as text
        errs = [l.strip() for l in str(cause or '').splitlines() if re.match(r'\s*[\w.]+(Error|Exception|Interrupt)\b', l)]
        why = errs[-1] if errs else ''
        msg = str(e).strip()
        log('nbdev could not process the notebooks for the docs:')
        print(msg + (f'\n  -> {why}' if why else ''), file=sys.stderr)
        if 'Error in notebook' in msg:
            print('nbdev executes exported cells, imports and show_doc cells (nbdev FAQ): a cell that mixes imports with '
                  'other code is run too, so put the imports in a cell of their own.', file=sys.stderr)
        sys.exit(1)

# ---------------------------------------------------------------- Quarto markdown that mistune does not know
_re_fence = re.compile(r'^\s*(```|~~~)')
_re_div_open = re.compile(r'^\s*:::+\s*\{([^}]*)\}\s*$')
_re_div_close = re.compile(r'^\s*:::+\s*$')
_re_attrs = re.compile(r'''([.#][\w-]+)|([\w-]+)=(?:"([^"]*)"|'([^']*)'|(\S+))''')
_re_link_attrs = re.compile(r'(!?)\[([^\]\n]*)\]\(([^)\s]+)\)\{([^}\n]*)\}')

def parse_attrs(s):
    classes, ident, kv = [], None, {}
    for m in _re_attrs.finditer(s):
        if m.group(1):
            kind, name = m.group(1)[0], m.group(1)[1:]
            if kind == '.': classes.append(name)
            elif ident is None: ident = name
        else: kv[m.group(2)] = next(g for g in m.groups()[2:] if g is not None)
    return classes, ident, kv

def _html_attrs(classes, ident, kv, keep=('target', 'rel', 'style', 'title', 'width', 'height', 'alt')):
    a = [f'class="{html.escape(" ".join(classes))}"'] if classes else []
    if ident: a.append(f'id="{html.escape(ident)}"')
    a += [f'{k}="{html.escape(v)}"' for k, v in kv.items() if k in keep]
    return (' ' + ' '.join(a)) if a else ''

def _link_with_attrs(m):
    bang, text, url, attrs = m.groups()
    classes, ident, kv = parse_attrs(attrs)
    if bang: return f'<img src="{html.escape(url)}" alt="{html.escape(text)}"{_html_attrs(classes, ident, kv)}>'
    if kv.get('target') == '_blank': kv.setdefault('rel', 'noopener')
    return f'<a href="{html.escape(url)}"{_html_attrs(classes, ident, kv)}>{text}</a>'

_re_heading_dunder = re.compile(r'(?<![\\\w])__(\w+?)__(?!\w)')

def escape_dunders(line):
    "A heading's `__name__` kept as written: `show_doc` titles methods `Class.__iter__`, which markdown would make a bold 'iter'."
    return _re_heading_dunder.sub(r'\\_\\_\1\\_\\_', line) if re.match(r'#{1,6}\s', line) else line

def quarto_markdown(src):
    "Turn pandoc fenced divs (callouts) and `{...}` link attributes into HTML that mistune passes through."
    out, in_code, stack = [], False, []
    lines = src.split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        if _re_fence.match(line): in_code = not in_code
        if not in_code and (m := _re_div_open.match(line)):
            classes, ident, kv = parse_attrs(m.group(1))
            callout = next((c for c in classes if c.startswith('callout-')), None)
            if callout:
                title = kv.get('title')
                j = i + 1
                while title is None and j < len(lines) and not lines[j].strip(): j += 1
                if title is None and j < len(lines) and (h := re.match(r'^#{1,6}\s+(.*?)\s*#*\s*$', lines[j])): title, i = h.group(1), j
                title = title or callout[len('callout-'):].capitalize()
                folds = kv.get('collapse') in ('true', 'false')  # Quarto's folding callout: a <details>, shut unless collapse="false"
                box, head = ('details', 'summary') if folds else ('div', 'div')
                opened = ' open' if kv.get('collapse') == 'false' else ''
                out += ['', f'<{box} class="callout {callout}"{_html_attrs([], ident, {})}{opened}>', f'<{head} class="callout-title">', '',
                        title, '', f'</{head}>', '<div class="callout-body">', '']
                stack.append(f'</div></{box}>')
            else:
                out += ['', f'<div{_html_attrs(classes, ident, kv)}>', '']
                stack.append('</div>')
        elif not in_code and stack and _re_div_close.match(line): out += ['', stack.pop(), '']
        else: out.append(line if in_code else _re_link_attrs.sub(_link_with_attrs, escape_dunders(line)))
        i += 1
    out += ['', *reversed(stack)] if stack else []
    return '\n'.join(out)

# ---------------------------------------------------------------- Quarto cell options left by nbdev
_re_cellopt = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')

def cell_options(cell):
    "Split off the leading `#| key: value` lines of a code cell: (options, the rest of the source)."
    lines, opts = cell.source.split('\n'), {}
    while lines and (m := _re_cellopt.match(lines[0])):
        opts[m.group(1)] = m.group(2).strip().strip('"\'')
        lines.pop(0)
    while lines and lines[0].strip() in ('', '#|'): lines.pop(0)
    return opts, '\n'.join(lines)

def _false(v): return str(v).lower() in ('false', 'no', '0')

def apply_cell_options(nb):
    "echo/output/include/code-fold as Quarto reads them; `output: asis` markdown becomes document markdown."
    import nbformat
    cells = []
    for cell in nb.cells:
        if cell.cell_type != 'code':
            cells.append(cell); continue
        opts, cell.source = cell_options(cell)
        if _false(opts.get('include', 'true')): continue
        if _false(opts.get('output', 'true')): cell.outputs = []
        if _false(opts.get('echo', 'true')): cell.metadata.setdefault('transient', {})['remove_source'] = True
        if opts.get('code-fold') and not _false(opts['code-fold']):
            cell.metadata['site_fold'] = 'show' if opts['code-fold'] == 'show' else 'hide'
            cell.metadata['site_fold_summary'] = opts.get('code-summary', 'Code')
        if opts.get('output') == 'asis':  # the markdown output is part of the document, after the code if shown
            md = [o for o in cell.outputs if 'text/markdown' in o.get('data', {})]
            cell.outputs = [o for o in cell.outputs if o not in md]
            if cell.outputs or (cell.source and not cell.metadata.get('transient', {}).get('remove_source')): cells.append(cell)
            cells += [nbformat.v4.new_markdown_cell(o.data['text/markdown']) for o in md]
            continue
        if cell.source or cell.outputs: cells.append(cell)
    nb.cells = cells
    return nb

def has_widgets(nb): return any(WIDGET_VIEW in o.get('data', {}) for c in nb.cells for o in c.get('outputs', []))

def frontmatter(nb):
    "Take nbdev's YAML frontmatter cell out of the notebook: {title, description, ...}."
    from nbdev.frontmatter import _fm2dict
    for i, c in enumerate(nb.cells):
        if c.cell_type == 'raw' and (fm := _fm2dict(c.source)):
            del nb.cells[i]
            return fm
        if c.cell_type != 'raw': break
    return {}

# ---------------------------------------------------------------- HTML post-processing
def pandoc_id(text):
    "Pandoc's (so Quarto's, so nbdev's doc links') identifier for a heading."
    s = re.sub(r'[^\w\s.-]', '', text.strip().lower())
    s = re.sub(r'^[^a-z]+', '', re.sub(r'\s+', '-', s))
    return s or 'section'

_re_md_link = re.compile(r'\[`?([^\]`\n]+)`?\]\(([^)\s]+)\)')

def link_code_comments(soup):
    "Markdown links in code comments made HTML links: nbdev links the backticked names of `show_doc`'s signature comments too, where they would stay raw text."
    for span in soup.select('pre span.c1'):
        text = span.get_text()
        if not _re_md_link.search(text): continue
        span.clear()
        pos = 0
        for m in _re_md_link.finditer(text):
            a = soup.new_tag('a', attrs={'href': m.group(2)}); a.string = m.group(1)
            span.append(text[pos:m.start()]); span.append(a)
            pos = m.end()
        span.append(text[pos:])

NOWRAP_CHARS = 24  # longer inline code may wrap, so that a narrow column or a phone can still hold it

def finish_page(page_html, page, site_url, nb_pages):
    "Pandoc heading ids, page TOC, links in signature comments, links to the published site and to notebooks made local."
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(page_html, 'html.parser')
    link_code_comments(soup)
    main = soup.select_one('.site-main')
    for code in main.find_all('code'):  # inline code short enough to keep whole: `--tasks 1000` breaks at no hyphen
        if code.find_parent('pre') is None and len(code.get_text()) <= NOWRAP_CHARS: code['class'] = (code.get('class') or []) + ['nowrap']
    used, toc = set(), []
    for h in main.find_all(re.compile(r'^h[1-6]$')):
        if 'title' in (h.get('class') or []): continue
        for a in h.select('a.anchor-link'): a.extract()
        text = h.get_text(' ', strip=True)
        base = pandoc_id(text); hid, n = base, 0
        while hid in used: n += 1; hid = f'{base}-{n}'
        used.add(hid)
        h['id'] = hid
        a = soup.new_tag('a', attrs={'class': 'anchor-link', 'href': f'#{hid}'}); a.string = '¶'
        h.append(a)
        if h.name in ('h2', 'h3'): toc.append((h.name, hid, text))
    here = posixpath.dirname(page)
    for a in soup.find_all('a', href=True):
        href = a['href']
        if site_url and (href == site_url or href.startswith(site_url + '/')):  # nbdev's doc links: the published site
            path, _, frag = href[len(site_url):].lstrip('/').partition('#')
            href = posixpath.relpath(path or 'index.html', here or '.') + (f'#{frag}' if frag else '')
        path, _, frag = href.partition('#')
        if path.endswith('.ipynb') and '://' not in path:
            target = posixpath.normpath(posixpath.join(here, path))
            if target in nb_pages: href = posixpath.relpath(nb_pages[target], here or '.') + (f'#{frag}' if frag else '')
        a['href'] = href
    if toc:
        items = ''.join(f'<li class="toc-{lv}"><a href="#{i}">{html.escape(t)}</a></li>' for lv, i, t in toc)
        frag = BeautifulSoup(f'<div class="toc-title">On this page</div><ul>{items}</ul>', 'html.parser')
        soup.select_one('.site-toc').append(frag)
    return str(soup)

def render_inline_md(s):
    "Markdown of a title or description as inline HTML."
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
    h = MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render(str(s)).strip()
    return re.sub(r'^<p>(.*)</p>$', r'\1', h, flags=re.DOTALL)

def build(args):
    os.chdir(ROOT)
    t0 = time.time()
    from nbdev.config import get_config
    import nbformat
    from nbconvert import HTMLExporter
    from jinja2 import pass_context

    class SiteExporter(HTMLExporter):
        "nbconvert's HTML exporter with Quarto's markdown extras in every markdown it renders."
        @pass_context
        def markdown2html(self, context, source): return super().markdown2html(context, quarto_markdown(source))

    cfg = get_config()
    pages = site_pages()
    if not pages: sys.exit(f'build_site: no notebooks in {cfg.nbs_path}')
    proc = Path(process_notebooks(args.workers, args.force))
    log(f'processed {len(pages)} notebooks with nbdev into {proc.relative_to(ROOT)}/ ({time.time()-t0:.1f}s)')

    out = (ROOT/args.out).resolve()
    if out == ROOT or out in ROOT.parents or out in cfg.nbs_path.resolve().parents or out == cfg.nbs_path.resolve():
        sys.exit(f'build_site: refusing to replace {out}: give an output folder of its own')
    if out.is_dir() and any(out.iterdir()) and not (out/'_pages.json').exists():  # only an earlier build is deleted
        sys.exit(f'build_site: {out} holds files that no site build wrote: give an output folder of its own, or an empty one')
    shutil.rmtree(out, ignore_errors=True)
    static = out/'_static'
    static.mkdir(parents=True)
    (out/'_pages.json').write_text('[]')  # a build's folder from the start: one that stops half-way is replaced by the next
    copy_katex(static)
    shutil.copy2(TEMPLATE_DIR/'site.css', static/'site.css')
    # everything else in nbs/ that a page can point at (images, data), like Quarto's resources
    for f in sorted(cfg.nbs_path.rglob('*')):
        rel = f.relative_to(cfg.nbs_path)
        if not f.is_file() or any(p.startswith(('.', '_')) for p in rel.parts[:-1]) or rel.name.startswith('.'): continue
        if f.suffix in ('.ipynb', '.qmd') or rel.name in ('_quarto.yml', 'nbdev.yml', 'sidebar.yml', 'settings.ini'): continue
        (out/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, out/rel)
    (out/'.nojekyll').touch()

    from nbformat.validator import MissingIDFieldWarning
    warnings.filterwarnings('ignore', category=MissingIDFieldWarning)  # nbdev's inserted cells have no id
    nbs = []
    for src, page in pages:
        nb = nbformat.read(proc/src, as_version=4)
        fm = frontmatter(nb)
        nbs.append((src, page.as_posix(), nb, fm, fm.get('title') or src.stem))
    nb_pages = {src.as_posix(): page for src, page, *_ in nbs}
    if any(has_widgets(nb) for _, _, nb, _, _ in nbs): copy_widgets(static)

    exporter = SiteExporter(template_name='lab', extra_template_paths=[str(TEMPLATE_DIR)], template_file='site.html.j2',
                            exclude_input_prompt=True, exclude_output_prompt=True)
    site_url = (cfg.get('doc_host', '') + cfg.get('doc_baseurl', '')).rstrip('/')
    home = 'index.html' if 'index.html' in nb_pages.values() else nbs[0][1]
    for k, (src, page, nb, fm, title) in enumerate(nbs):
        here = posixpath.dirname(page) or '.'
        rel = lambda p: posixpath.relpath(p, here)
        root = '' if here == '.' else posixpath.relpath('.', here) + '/'
        apply_cell_options(nb)
        widgets = has_widgets(nb)
        if not widgets: nb.metadata.pop('widgets', None)  # nbdev adds an empty widget state to every notebook
        desc = fm.get('description', '')
        site = dict(title=cfg.get('title', cfg.lib_name), root=root, home_href=rel(home), styles=(out/'styles.css').exists(),
                    page_title=render_inline_md(title), description=render_inline_md(desc) if desc else '',
                    description_text=desc, widgets=widgets,
                    pages=[dict(href=rel(p), title=t, current=(p == page)) for _, p, _, _, t in nbs],
                    prev=dict(href=rel(nbs[k-1][1]), title=nbs[k-1][4]) if k else None,
                    next=dict(href=rel(nbs[k+1][1]), title=nbs[k+1][4]) if k+1 < len(nbs) else None)
        nb.metadata['title'] = f"{title} – {site['title']}" if page != home else site['title']
        body, _ = exporter.from_notebook_node(nb, resources=dict(site=site, metadata=dict(name=title, path=str(cfg.nbs_path/src.parent))))
        body = finish_page(body, page, site_url, nb_pages)
        dest = out/page
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(body, encoding='utf-8')
        log(f'{src} -> {out.name}/{page}')
    (out/'_pages.json').write_text(json.dumps([dict(notebook=str(s), page=p, title=t) for s, p, _, _, t in nbs], indent=1))
    log(f'{len(nbs)} pages in {out}/ in {time.time()-t0:.1f}s')

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='_site', help='output folder, relative to the project root (default: _site)')
    p.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1), help='nbdev processing workers (default: 2)')
    p.add_argument('--force', action='store_true', help="reprocess every notebook, ignoring nbdev's _proc/ cache")
    p.add_argument('--fetch-only', action='store_true', help='only fetch the npm assets into the cache, then stop')
    args = p.parse_args()
    if args.fetch_only:
        for pkg in (KATEX, WIDGETS): log('npm', '@'.join(pkg), '->', npm_package(*pkg))
        return
    build(args)

if __name__ == '__main__': main()
