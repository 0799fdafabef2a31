#!/usr/bin/env python
"""Check the built docs site in a real browser:  python tools/check_site.py [SCREENSHOT_DIR]

Serves _site/ on 127.0.0.1 (a free port), opens every page in headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by selenium) with every host but 127.0.0.1 unreachable, and fails, one line per problem, on:
  MISSING PAGE     a notebook in nbs/ without its page (or a page that does not load)
  BROKEN LINK      an <a href> to a local page, file or #anchor that does not exist
  MISSING IMAGE    an <img> that did not load
  CONSOLE ERROR    a JavaScript error, a console error or a failed request (e.g. to a CDN)
  UNRENDERED MATH  TeX left as text ($$, \\[, $..\\..$), a KaTeX parse error, or a radical or stretchy accent that a
                   stylesheet squashed flat
  RAW LINK         a markdown link shown as text instead of a link
  RAW DIV          a fenced div's `:::` shown as text (a callout the builder did not make)
  RAW TABLE        a markdown table shown as text (e.g. one indented inside a list item)
  HEADING          bold or italic in a heading, as markdown makes of `Class.__iter__`
  WIDGETS          widget outputs that did not render
Folded callouts and code are opened while a page is checked, so that what they hold is checked too.
Saves screenshots of the home page, one chapter (and a page named *demo* or *widgets*, when there is one)
into SCREENSHOT_DIR (default _site_screens/).
"""
import argparse, functools, os, posixpath, re, shutil, sys, tempfile, threading, time
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit, unquote

ROOT = Path(__file__).resolve().parent.parent
# Debian's /usr/bin/chromium is a shell wrapper around this binary (and prints shell noise on some machines)
CHROMIUM = os.environ.get('CHROMIUM') or next((c for c in ('/usr/lib/chromium/chromium', shutil.which('chromium')) if c and os.path.exists(c)), 'chromium')
CHROMEDRIVER = os.environ.get('CHROMEDRIVER', shutil.which('chromedriver') or '/usr/bin/chromedriver')

# Runs in each page once it has loaded: everything the checks need, in one round trip.
PAGE_JS = r"""
const done = arguments[arguments.length - 1];
const started = Date.now();
function ready() {
  const math = document.documentElement.dataset.mathRendered === '1' || !document.querySelector('.site-main');
  const wv = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  const widgets = !wv || document.querySelector('.jupyter-widgets .widget-container, .jupyter-widgets .jupyter-widget, .jupyter-widgets .widget-output, .jupyter-widgets [class*="widget-"]');
  const imgs = [...document.images].every(i => i.complete);
  return (math && widgets && imgs) || Date.now() - started > 8000;
}
function collect() {
  const skip = 'script,style,noscript,textarea,pre,code,.katex,.katex-display,.katex-mathml,template';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    (n.parentElement && n.parentElement.closest(skip)) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const texts = []; let n;
  while ((n = walker.nextNode())) texts.push(n.nodeValue);
  // folded callouts and code are checked open (their math measured too), then folded again for the screenshots
  const shut = [...document.querySelectorAll('details:not([open])')];
  shut.forEach(e => e.open = true);
  const wv = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  const rendered = document.querySelectorAll('.jupyter-widgets .widget-container, .jupyter-widgets .jupyter-widget, .jupyter-widgets .widget-output, .jupyter-widgets [class*="widget-"]').length;
  done({
    title: document.title,
    ids: [...document.querySelectorAll('[id]')].map(e => e.id).concat([...document.querySelectorAll('a[name]')].map(e => e.name)),
    links: [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.href]),
    images: [...document.images].map(i => [i.getAttribute('src') || '', i.currentSrc || i.src, i.complete && i.naturalWidth > 0]),
    text: texts.join(' '),
    katex: document.querySelectorAll('.katex').length,
    mathRan: document.documentElement.dataset.mathRendered === '1',
    siteMain: !!document.querySelector('.site-main'),
    // a markdown link left as text, in prose or in code (nbdev links backticked names inside signatures' comments too)
    rawLinks: [...document.querySelectorAll('.site-main pre, .site-main p, .site-main li, .site-main td')]
      .map(e => (e.textContent.match(/\[[^\]\n]{1,80}\]\((?:https?:\/\/|[\w.\/-]+\.html|#)[^)\s]*\)/) || [])[0]).filter(Boolean),
    // a markdown table left as text: its rule row, in a paragraph or a list item (a table indented inside a list)
    rawTables: [...document.querySelectorAll('.site-main p, .site-main li')]
      .map(e => (e.textContent.match(/\|\s*:?-{3,}:?\s*\|/) ? e.textContent.slice(0, 120) : '')).filter(Boolean),
    // no heading here is meant to have emphasis: markdown reads the underscores of `Class.__iter__` as bold
    emphasisInHeadings: [...document.querySelectorAll('.site-main :is(h1,h2,h3,h4,h5,h6) :is(strong,em)')]
      .map(e => e.closest('h1,h2,h3,h4,h5,h6').textContent.replace('\u00b6', '').trim()),
    katexErrors: [...document.querySelectorAll('.katex-error')].map(e => e.getAttribute('title') || e.textContent),
    // KaTeX draws radicals and stretchy accents as SVGs sized by its own stylesheet; a page's later rule (JupyterLab's
    // `svg {height: auto}`) can squash them to a fraction of a pixel while the rest of the equation looks right
    squashedMath: [...document.querySelectorAll('.katex svg')].filter(s => s.closest('.katex').getBoundingClientRect().height > 0 &&
        s.getBoundingClientRect().height < 0.25 * parseFloat(getComputedStyle(s).fontSize))
      .map(s => [s.getBoundingClientRect().height, (s.closest('.katex').querySelector('annotation') || {}).textContent || '?']),
    widgetViews: wv, widgetsRendered: rendered,
  });
  shut.forEach(e => e.open = false);
}
(function wait() { ready() ? collect() : setTimeout(wait, 50); })();
"""

_re_raw_math = [
    (re.compile(r'\$\$'), '$$'),
    (re.compile(r'\\\[|\\\]'), r'\[ \]'),
    (re.compile(r'\\\(|\\\)'), r'\( \)'),
    (re.compile(r'\\begin\{'), r'\begin{'),
    (re.compile(r'(?<![\w$\\])\$(?=\S)[^$\n]{1,200}?(?<=\S)\$(?![\w$])'), '$...$'),
]

class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

def serve(site):
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f'http://127.0.0.1:{httpd.server_address[1]}/'

def browser(profile, width, height):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
              '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--hide-scrollbars',
              f'--user-data-dir={profile}', f'--window-size={width},{height}',
              # nothing but the local server: a page that needs a CDN fails here even on a machine with internet
              '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'):
        o.add_argument(a)
    o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    d = webdriver.Chrome(options=o, service=Service(CHROMEDRIVER))
    d.set_page_load_timeout(30); d.set_script_timeout(20)
    return d

def screenshot(d, path, full=False, max_height=5000):
    "PNG of the viewport, or of the whole page up to max_height pixels."
    import base64
    params = {'format': 'png'}
    if full:
        w, h = d.execute_script('return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]')
        params.update(captureBeyondViewport=True, clip=dict(x=0, y=0, width=w, height=min(h, max_height), scale=1))
    path.write_bytes(base64.b64decode(d.execute_cdp_cmd('Page.captureScreenshot', params)['data']))

def expected_pages():
    "[(notebook, page)] from the notebooks in nbs/, named as tools/build_site.py and Quarto name them."
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from build_site import site_pages
    cwd = os.getcwd(); os.chdir(ROOT)
    try: return [(str(nb), p.as_posix()) for nb, p in site_pages()]
    finally: os.chdir(cwd)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('screens', nargs='?', default=str(ROOT/'_site_screens'), help='folder for the screenshots (default: _site_screens)')
    p.add_argument('--site', default=str(ROOT/'_site'), help='built site to check (default: _site)')
    p.add_argument('--chapter', default=None, help='page to screenshot as the chapter (default: the first page after the home page)')
    args = p.parse_args()
    t0 = time.time()
    site, screens = Path(args.site).resolve(), Path(args.screens).resolve()
    problems = []
    def fail(kind, page, what): problems.append(f'{kind}: {page}: {what}'); print(problems[-1], flush=True)

    if not site.is_dir(): sys.exit(f'check_site: no site at {site}: run python tools/build_site.py first')
    pages = sorted(q.relative_to(site).as_posix() for q in site.rglob('*.html') if not q.relative_to(site).parts[0].startswith('_'))
    expected = expected_pages()
    for nb, page in expected:
        if page not in pages: fail('MISSING PAGE', page, f'no page for nbs/{nb}')
    order = [pg for _, pg in expected if pg in pages] + [pg for pg in pages if pg not in {e for _, e in expected}]
    home = 'index.html' if 'index.html' in order else (order[0] if order else None)
    chapters = [pg for pg in order if pg != home]
    chapter = args.chapter or (chapters[0] if chapters else None)
    demo = next((pg for pg in order if re.search(r'demo|widgets', posixpath.basename(pg))), None)
    screens.mkdir(parents=True, exist_ok=True)
    if not (screens/'.gitignore').exists(): (screens/'.gitignore').write_text('# screenshots of tools/check_site.py\n*\n')  # as .pytest_cache does

    httpd, base = serve(site)
    profile = tempfile.mkdtemp(prefix='check_site_chromium_')
    d = browser(profile, 1280, 1000)
    seen = {}
    try:
        for page in order:
            url = base + page
            try: d.get(url)
            except Exception as e: fail('MISSING PAGE', page, f'did not load: {str(e).splitlines()[0]}'); continue
            info = d.execute_async_script(PAGE_JS)
            seen[page] = info
            for entry in d.get_log('browser'):
                if entry.get('level') == 'SEVERE': fail('CONSOLE ERROR', page, entry.get('message', '').replace(base, '/'))
            if re.search(r'404|not found', info['title'], re.I): fail('MISSING PAGE', page, f'served "{info["title"]}"')
            for src, resolved, ok in info['images']:
                if not ok: fail('MISSING IMAGE', page, src[:120] or '(no src)')
            for pat, name in _re_raw_math:
                if (m := pat.search(info['text'])):
                    s = info['text']; i = m.start()
                    fail('UNRENDERED MATH', page, f'{name} in the text: "{s[max(0, i-40):i+60].strip()}"'); break
            if info['siteMain'] and not info['mathRan']: fail('UNRENDERED MATH', page, 'the KaTeX renderer did not run')
            for raw in dict.fromkeys(info['rawLinks']): fail('RAW LINK', page, f'a markdown link shown as text: {raw[:160]}')
            for raw in dict.fromkeys(info['rawTables']): fail('RAW TABLE', page, f'a markdown table shown as text: {raw}')
            if (m := re.search(r'(?<!\S):::', info['text'])):  # a fenced div (callout) the builder did not turn into HTML
                fail('RAW DIV', page, f'":::" in the text: "{info["text"][max(0, m.start()-40):m.start()+80].strip()}"')
            for h in dict.fromkeys(info['emphasisInHeadings']):
                fail('HEADING', page, f'bold or italic in "{h[:120]}": markdown read underscores or stars of a name as emphasis')
            for err in info['katexErrors']: fail('UNRENDERED MATH', page, f'KaTeX: {err[:160]}')
            for height, tex in info['squashedMath']:
                fail('UNRENDERED MATH', page, f'a radical or stretchy accent drawn {height:.2f} px high (a stylesheet overrides KaTeX\'s sizes) in: {tex[:160]}')
            if info['widgetViews'] and not info['widgetsRendered']: fail('WIDGETS', page, f"{info['widgetViews']} widget outputs, none rendered")
            if page == home: screenshot(d, screens/'home.png')
            if page == chapter:
                screenshot(d, screens/f'chapter-{Path(page).stem}.png')
                screenshot(d, screens/f'chapter-{Path(page).stem}-full.png', full=True)
            if page == demo: screenshot(d, screens/f'demo-{Path(page).stem}.png', full=True)
    finally:
        d.quit(); httpd.shutdown(); shutil.rmtree(profile, ignore_errors=True)

    # links, once every page's ids are known
    origin = urlsplit(base).netloc
    for page, info in seen.items():
        for raw, resolved in dict(info['links']).items():  # each distinct href once
            u = urlsplit(resolved)
            if u.scheme not in ('http', 'https') or u.netloc != origin: continue  # external: not checked offline
            path = unquote(u.path).lstrip('/') or 'index.html'
            if path.endswith('/'): path += 'index.html'
            if not (site/path).is_file(): fail('BROKEN LINK', page, f'{raw} -> /{path} does not exist'); continue
            if u.fragment and path.endswith('.html'):
                ids = seen[path]['ids'] if path in seen else re.findall(r'\bid="([^"]*)"', (site/path).read_text(errors='replace'))
                if unquote(u.fragment) not in ids: fail('BROKEN LINK', page, f'{raw} -> no #{unquote(u.fragment)} in {path}')

    n_links = sum(len(i['links']) for i in seen.values()); n_img = sum(len(i['images']) for i in seen.values())
    n_math = sum(i['katex'] for i in seen.values())
    shots = ', '.join(sorted(q.name for q in screens.glob('*.png')))
    print(f'check_site: {len(seen)} pages, {n_links} links, {n_img} images, {n_math} equations checked in {time.time()-t0:.1f}s; '
          f'screenshots in {screens}: {shots}')
    if problems:
        print(f'check_site: FAILED, {len(problems)} problem(s)'); sys.exit(1)
    print('check_site: OK')

if __name__ == '__main__': main()
