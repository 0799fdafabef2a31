"""Seconds and peak memory of one MAML/HIDRA meta-iteration: hidra_nb against a plain per-task loop, `higher` and learn2learn.

    python bench/maml_bench.py            # the whole grid; prints a table, writes bench/results/<device>.csv
    python bench/maml_bench.py --quick    # only the headline workload (5-way, meta-batch 32, 1 inner step)
    python bench/maml_bench.py --memory   # only MAML's 5- and 10-step second-order rows, with the recompute drivers
    python bench/maml_bench.py --device cuda

It times MAML (`method` maml) and HIDRA (`method` hidra: ours is `hidra_step`'s body; each baseline runs the paper's
Algorithm 1 around its MAML step). Ours runs on the driver a full training run tries first (`driver_candidates`:
compiled on a CPU, timed after a warm-up call that compiles; vmap on a GPU; a run keeps it where it beats the loop), and `hidra_nb loop` shows the uncompiled loop at the
headline workload. `hidra_nb recompute` and `hidra_nb compiled-recompute`, the drivers for when memory is short, run
where they have something to save: second order with several inner steps. It first checks, in float64 on a fixed small batch, that every implementation
gives the same meta-gradient as the plain loop, and prints the largest difference. Each timing then runs in a fresh
process, so that one measurement's peak memory cannot hide another's, and light settings are timed in several
rounds, the implementations in turn (median). Every process first lets glibc keep the memory it frees
(`keep_freed_memory`, as `hidra_nb train` does; `--malloc default` leaves glibc's defaults), and the minor page faults
of each timed meta-iteration are counted. Memory is measured twice: the process's peak, and what one more
meta-iteration takes above what the process holds once its freed memory is handed back (`meta_iteration_gb`). `higher` and learn2learn are optional: see bench/README.md.
"""
import argparse, gc, json, math, os, platform, resource, statistics, subprocess, sys
from functools import partial
from pathlib import Path
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

HERE = Path(__file__).resolve().parent
HEADLINE = dict(ways=5, tasks=32, steps=1)
GRID = [dict(HEADLINE, order=o) for o in (2, 1)] + [
    dict(HEADLINE, ways=20, order=2), dict(HEADLINE, ways=50, order=2),
    dict(HEADLINE, tasks=4, order=2), dict(HEADLINE, tasks=64, order=2),
    *[dict(HEADLINE, steps=s, order=o) for s in (5, 10) for o in (2, 1)]]
HIDRA_GRID = [dict(HEADLINE, order=o) for o in (2, 1)] + [dict(HEADLINE, ways=20, order=2)] + [
    dict(HEADLINE, steps=5, order=o) for o in (2, 1)]  # HIDRA, where our step differs from MAML's: its first inner step

# ---- the implementations: each accumulates the meta-gradient (mean over tasks) in the model's .grad ----

def plain_loop(model, batch, inner_lr, steps, first_order):
    "What one writes by hand: functional_call and autograd.grad, backward per task."
    params, n_tasks = dict(model.named_parameters()), len(batch[0])
    for xs, ys, xq, yq in zip(*batch):
        p = params
        for _ in range(steps):
            g = torch.autograd.grad(F.cross_entropy(functional_call(model, p, (xs,)), ys), list(p.values()), create_graph=not first_order)
            p = {k: v - inner_lr * gk for (k, v), gk in zip(p.items(), g)}
        (F.cross_entropy(functional_call(model, p, (xq,)), yq) / n_tasks).backward()

def with_higher(model, batch, inner_lr, steps, first_order):
    "`higher`'s documented MAML loop; first order by detaching the inner gradients (its `grad_callback`)."
    import higher
    inner_opt, n_tasks = torch.optim.SGD(model.parameters(), lr=inner_lr), len(batch[0])
    detach = (lambda gs: [g.detach() for g in gs]) if first_order else None
    for xs, ys, xq, yq in zip(*batch):
        with higher.innerloop_ctx(model, inner_opt, copy_initial_weights=False) as (fmodel, diffopt):
            for _ in range(steps): diffopt.step(F.cross_entropy(fmodel(xs), ys), grad_callback=detach)
            (F.cross_entropy(fmodel(xq), yq) / n_tasks).backward()

def with_learn2learn(model, batch, inner_lr, steps, first_order):
    "learn2learn's `MAML` wrapper: clone, adapt, backward per task."
    import learn2learn as l2l
    maml, n_tasks = l2l.algorithms.MAML(model, lr=inner_lr, first_order=first_order), len(batch[0])
    for xs, ys, xq, yq in zip(*batch):
        learner = maml.clone()
        for _ in range(steps): learner.adapt(F.cross_entropy(learner(xs), ys))
        (F.cross_entropy(learner(xq), yq) / n_tasks).backward()

def training_driver(device:torch.device)->str:
    "The driver `hidra_nb train` tries first on `device` for a full-length run: compiled on a CPU, vmap on a GPU (it keeps it where it is the faster)."
    from hidra_nb.training import make_config, driver_candidates
    return driver_candidates(make_config(), device)[0]

def ours(model, batch, inner_lr, steps, first_order, driver=None, side_by_side=1):
    "hidra_nb's `maml_backward`, the body of `maml_step`, on `driver` (None: the driver a training run uses, `training_driver`)."
    from hidra_nb.maml import maml_backward
    maml_backward(model, batch, inner_lr=inner_lr, inner_steps=steps, first_order=first_order,
                  driver=driver or training_driver(batch[0].device), side_by_side=side_by_side)

def plain_loop_plain_bn(model, batch, inner_lr, steps, first_order):
    "The plain loop with batch norm written in plain tensor ops, as hidra_nb ran it before it switched to the fused kernel."
    from hidra_nb.backbone import plain_batch_norm
    with plain_batch_norm(model): plain_loop(model, batch, inner_lr, steps, first_order)

def ours_hidra(model, batch, inner_lr, steps, first_order, driver=None, side_by_side=1):
    "hidra_nb's `hidra_backward`, the body of `hidra_step`: the closed-form first inner step, then generic steps; the rest as in `ours`."
    from hidra_nb.core import hidra_backward
    hidra_backward(model, batch, inner_lr=inner_lr, inner_steps=steps, first_order=first_order, driver=driver or training_driver(batch[0].device),
                   side_by_side=side_by_side)

def as_hidra(maml_impl):
    """HIDRA as the paper's Algorithm 1 writes it, around a MAML implementation: copy the master into C rows of a new head,
    run one MAML meta-gradient on [backbone, rows], and give the master the rows' mean gradient (Eq. 3.7)."""
    def run(model, batch, inner_lr, steps, first_order):
        from hidra_nb.core import copied_rows
        from hidra_nb.maml import check_batch
        head = copied_rows(model.master, check_batch(batch))
        maml_impl(nn.Sequential(model.backbone, head), batch, inner_lr, steps, first_order)
        for p, rows in zip(model.master.parameters(), head.parameters()): p.grad = rows.grad.mean(0, keepdim=True)
    return run

NAMED_DRIVERS = ('loop', 'compiled', 'recompute', 'compiled-recompute')  # each also timed by name, as 'hidra_nb <driver>'
def on_each_driver(impl)->dict:
    return {**{f'hidra_nb {d}': partial(impl, driver=d) for d in NAMED_DRIVERS},
            'hidra_nb side by side': partial(impl, driver='compiled', side_by_side=2)}  # two tasks at once, each on a thread

IMPLS = {'hidra_nb': ours, 'plain loop': plain_loop, 'higher': with_higher, 'learn2learn': with_learn2learn,
         'plain loop, plain-op BN': plain_loop_plain_bn, **on_each_driver(ours)}
ON_GPU_ONLY = {'hidra_nb compiled'}  # on a GPU 'hidra_nb' is vmap, so all three drivers show; on a CPU it is the compiled one
ON_CPU_ONLY = {'hidra_nb side by side'}  # tasks on threads of their own help on a CPU only
HEADLINE_ONLY = {'plain loop, plain-op BN', 'hidra_nb loop', 'hidra_nb side by side'}  # where our speed-up came from (the fused kernel, the compiler), and what two tasks at once add
MANY_STEPS_ONLY = {'hidra_nb recompute', 'hidra_nb compiled-recompute'}  # second order with several inner steps: where recomputing saves memory
COMPILES = {'hidra_nb', 'hidra_nb compiled', 'hidra_nb compiled-recompute', 'hidra_nb side by side'}  # timed after a warm-up call always: the first call compiles
HIDRA_IMPLS = {'hidra_nb': ours_hidra, **on_each_driver(ours_hidra),
               'plain loop': as_hidra(plain_loop), 'higher': as_hidra(with_higher), 'learn2learn': as_hidra(with_learn2learn)}
def impls_of(method): return HIDRA_IMPLS if method == 'hidra' else IMPLS

OPTIONAL = {'higher': 'higher', 'learn2learn': 'learn2learn'}  # implementation -> the package it needs

def whole_number(low:int):
    "An argparse type: a whole number >= `low`."
    def parse(text:str)->int:
        if not text.isdigit() or int(text) < low: raise argparse.ArgumentTypeError(f"needs a whole number >= {low}, got {text!r}")
        return int(text)
    return parse

at_least_one = whole_number(1)

def results_folder(text:str)->Path:
    "`--results-dir`: the folder the CSV goes into, made now, so that one that cannot take it fails before the work, not after it."
    path = Path(text)
    if path.exists() and not path.is_dir(): raise argparse.ArgumentTypeError(f"the results folder {path} is a file: give another --results-dir")
    try: path.mkdir(parents=True, exist_ok=True)
    except OSError as e: raise argparse.ArgumentTypeError(f"cannot make the results folder {path} ({e.strerror}): give another --results-dir")
    if not os.access(path, os.W_OK): raise argparse.ArgumentTypeError(f"cannot write into the results folder {path}: give another --results-dir")
    return path

def available(name)->bool:
    mod = OPTIONAL.get(name)
    if mod is None: return True
    try: __import__(mod); return True
    except Exception: return False

# ---- workload ----

def make_model(ways, hidden=64, method='maml', image_shape=(1, 28, 28)):
    "The library's Conv4 model (`hidra_nb.training.make_model`): with a master neuron for HIDRA, an N-way output layer for MAML."
    from hidra_nb.training import make_config, make_model as library_model
    return library_model(make_config(method=method, ways=str(ways), hidden=hidden), image_shape)

def load_images():
    "Omniglot's training characters when ../shared/data has them, else the built-in glyphs (same 1x28x28 shape)."
    from hidra_nb.data import load_dataset
    try: return load_dataset('omniglot', 'train', split_seed=0), 'omniglot'
    except (FileNotFoundError, ValueError): return load_dataset('glyphs', 'train'), 'glyphs'

def make_batch(ds, ways, tasks, device, dtype=torch.float32, queries=15, seed=0):
    from hidra_nb.data import TaskSampler
    xs, ys, xq, yq = TaskSampler(ds, ways, 5, queries, tasks, seed=seed, device=device).sample()
    return xs.to(dtype), ys, xq.to(dtype), yq

# ---- checks and measurements ----

def float64_meta_gradient(impl, method:str, batch, first_order:bool)->torch.Tensor:
    "`impl`'s meta-gradient, flattened, for a fresh float64 Conv4-8 (seed 0) on `batch` (float64): 2 inner steps at 0.4."
    torch.manual_seed(0)
    model = make_model(5, hidden=8, method=method, image_shape=tuple(batch[0].shape[-3:])).double().to(batch[0].device)
    impl(model, batch, 0.4, 2, first_order)
    return torch.cat([p.grad.flatten() for p in model.parameters()])

def largest_difference(a:torch.Tensor, b:torch.Tensor)->float:
    "max |a - b|, infinite where either holds a NaN (a failure, which max() alone would pass over)."
    diff = (a - b).abs().max().item()
    return diff if math.isfinite(diff) else math.inf

def gradient_check(ds, device='cpu', names=None)->float:
    "Largest difference of `names`' meta-gradients (default: all) from the plain loop's on `device`, float64, both orders."
    worst = 0.
    batch = make_batch(ds, 5, 3, device, torch.float64, queries=3)
    for method in ('maml', 'hidra'):
        for first_order in (False, True):
            grads = {}
            for name, impl in impls_of(method).items():
                if name != 'plain loop' and names is not None and name not in names: continue
                if not available(name) or name in (ON_CPU_ONLY if torch.device(device).type == 'cuda' else ON_GPU_ONLY): continue  # not timed there
                grads[name] = float64_meta_gradient(impl, method, batch, first_order)
            for name, g in grads.items():
                diff = largest_difference(g, grads['plain loop'])
                print(f"  {method:5s} {'first' if first_order else 'second':6s} order, {name:27s} max |difference| from the plain loop: {diff:.1e}")
                worst = max(worst, diff)
    return worst

def reset_peak_rss():
    "Restart this process's peak resident memory from now: Linux keeps a high-water mark even across exec (from the parent)."
    with open('/proc/self/clear_refs', 'w') as f: f.write('5')

def page_faults()->int: return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

def rss_gb(field='VmHWM')->float:
    "Peak ('VmHWM') or current ('VmRSS') resident memory of this process, GB."
    for line in open('/proc/self/status'):
        if line.startswith(field + ':'): return int(line.split()[1]) / 2**20

def meta_iteration_gb(step, dev)->float:
    """Memory one more meta-iteration takes above what the process holds between iterations, GB.

    The process's peak also holds what stays from before: on a CPU the compiler and its compiled code (about 80 MB here
    at one inner step, more for larger graphs; only in processes that compile), and the freed memory glibc keeps. So
    free what is free first (`malloc_trim`), then count from there: the iteration's own working set, the same measure
    for every implementation."""
    gc.collect()
    if dev.type == 'cuda':
        torch.cuda.synchronize(dev); base = torch.cuda.memory_allocated(dev); torch.cuda.reset_peak_memory_stats(dev)
        step(); torch.cuda.synchronize(dev)
        return (torch.cuda.max_memory_allocated(dev) - base) / 2**30
    from hidra_nb.training import glibc
    libc = glibc()
    if libc is None: return float('nan')  # no way to hand freed memory back: the count would be meaningless
    libc.malloc_trim(0)
    base = rss_gb('VmRSS'); reset_peak_rss(); step()
    return rss_gb() - base

def measure_one(impl_name, ways, tasks, steps, order, device, repeats, method='maml', malloc='kept'):
    "Run in a fresh process: seconds per meta-iteration (Adam step included), peak memory and page faults."
    from hidra_nb.data import timed
    if malloc == 'kept':
        from hidra_nb.training import keep_freed_memory
        keep_freed_memory()  # what `hidra_nb train` does, for every implementation alike
    ds, data = load_images()
    dev = torch.device(device)
    if dev.type == 'cuda': torch.cuda.set_device(dev)  # the memory counters below count this device
    torch.manual_seed(0)
    model = make_model(ways, method=method).to(dev)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    batch = make_batch(ds, ways, tasks, dev)
    del ds
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
    impl = impls_of(method)[impl_name]
    if impl_name in OPTIONAL: __import__(OPTIONAL[impl_name])  # importing it (2 s and 0.2 GB for learn2learn) is not part of a meta-iteration
    def step():
        opt.zero_grad(); impl(model, batch, 0.4, steps, order == 1); opt.step()
    if dev.type != 'cuda': reset_peak_rss()  # the peak counts from here: the data and model are loaded, the meta-iterations are to come
    before = rss_gb('VmRSS')
    times, faults = [], []
    # skipped where one timed iteration is all we can afford, unless it compiles; on a GPU the first call also sets CUDA up
    warm_up = repeats > 1 or impl_name in COMPILES or dev.type == 'cuda'
    for _ in range(repeats + warm_up):
        f = page_faults(); times.append(timed(step, dev)); faults.append(page_faults() - f)
    peak = torch.cuda.max_memory_allocated(dev) / 2**30 if dev.type == 'cuda' else rss_gb()
    iteration = meta_iteration_gb(step, dev)  # after the timing: it hands freed memory back, and the next iteration faults it in again
    return dict(seconds=statistics.median(times[-repeats:]), first_seconds=times[0], faults=statistics.median(faults[-repeats:]), peak_gb=peak,
                iter_gb=iteration, start_gb=before if dev.type != 'cuda' else 0., data=data)

def in_fresh_process(*args, script:str=__file__, env:dict=None)->tuple: # (lines printed before the result, the result)
    "Run `script` (this one unless told) with `args` in a new process, with `env` if given; its last line of output is the JSON result."
    out = subprocess.run([sys.executable, script, *args], env=env, capture_output=True, text=True)
    if out.returncode: raise RuntimeError(out.stderr[-2000:])
    *lines, last = out.stdout.rstrip().splitlines()
    return lines, json.loads(last)

def measure_in_subprocess(name, method, setting, device, repeats, malloc)->dict:
    args = json.dumps(dict(impl_name=name, method=method, device=device, repeats=repeats, malloc=malloc, **setting))
    try: return in_fresh_process('--one', args)[1]
    except RuntimeError as e: raise RuntimeError(f"{name} failed on {setting}:\n{e}") from None

def run_grid(grid, impls, device, repeats, rounds, method='maml', malloc='kept', done=lambda rows: None):
    "Time every implementation on every setting; light settings in `rounds` rounds, the implementations in turn; `done(rows)` after each setting."
    rows = []
    for setting in grid:
        heavy = setting['ways'] >= 20 or setting['steps'] >= 5 or setting['tasks'] > 32
        headline = setting['ways'] == 5 and setting['tasks'] == 32 and setting['steps'] == 1
        many_steps = setting['steps'] > 1 and setting['order'] == 2
        names = [name for name in impls if name in impls_of(method) and (headline or name not in HEADLINE_ONLY)
                 and (many_steps or name not in MANY_STEPS_ONLY)]
        if not names: continue  # none of the implementations asked for runs at this setting
        n_rounds, n_repeats = (1, 1) if heavy else (rounds, repeats)
        runs = {name: [] for name in names}
        for i in range(n_rounds):  # the machine's speed drifts over minutes: interleave, so that drift hits all alike
            for name in names[i % len(names):] + names[:i % len(names)]:
                try: runs[name].append(measure_in_subprocess(name, method, setting, device, n_repeats, malloc))
                except RuntimeError as e: print(e)
        for name, rs in runs.items():
            if not rs: continue
            row = dict(method=method, impl=name, **setting, seconds=statistics.median_low(r['seconds'] for r in rs),
                       peak_gb=max(r['peak_gb'] for r in rs), iter_gb=max(r['iter_gb'] for r in rs), start_gb=rs[0]['start_gb'], data=rs[0]['data'],
                       faults=statistics.median_low(r['faults'] for r in rs), repeats=n_repeats, rounds=len(rs), seconds_all=' '.join(f"{r['seconds']:.3f}" for r in rs),
                       first_call_seconds=' '.join(f"{r['first_seconds']:.1f}" for r in rs))  # compiling, or loading its on-disk cache
            rows.append(row); print(fmt_row(row), flush=True)
        done(rows)
    return rows

def checkout_commit()->str:
    "The commit these figures belong to: `git describe`, '-dirty' when the tree had changes; BENCH_COMMIT where there is no git (a lent GPU machine's copy)."
    try: described = subprocess.run(['git', 'describe', '--always', '--dirty', '--abbrev=7'], cwd=HERE, capture_output=True, text=True).stdout.strip()
    except FileNotFoundError: described = ''
    return described or os.environ.get('BENCH_COMMIT') or 'unknown'  # set but empty: unknown too

def write_csv(path:Path, rows, meta:dict):
    "The rows, each with the run's `meta`, as a CSV at `path`, written whole or not at all (`hidra_nb.data.write_csv`)."
    from hidra_nb import data
    if rows: data.write_csv(path, [{**r, **meta} for r in rows])

# a run writes its rows as they come into NAME.partial.csv, which becomes NAME.csv when it completes: a run stopped
# early keeps what it measured, and leaves the finished table be
def partial_csv(out:Path)->Path: return out.with_name(f"{out.stem}.partial.csv")

def finish_csv(out:Path):
    "The completed run's `partial_csv` becomes `out`."
    if partial_csv(out).exists(): partial_csv(out).replace(out)

def fmt_row(r):
    return (f"{r['method']:5s} {r['impl']:27s} N={r['ways']:<3d} T={r['tasks']:<3d} steps={r['steps']:<3d} order={r['order']}  "
            f"{r['seconds']:7.3f} s/iter  peak {r['peak_gb']:5.2f} GB (iteration {r['iter_gb']:5.3f})  {r['faults'] / 1000:5.0f}k faults/iter  ({r['rounds']} rounds: {r['seconds_all']})")

def speedups(rows):
    "Ratios of the baselines' time and memory to ours, setting by setting."
    key = lambda r: (r['method'], r['ways'], r['tasks'], r['steps'], r['order'])
    mine = {key(r): r for r in rows if r['impl'] == 'hidra_nb'}
    print("\nours against each baseline (time ratio > 1: ours faster; memory ratios, process peak and a meta-iteration's own, <= 1: ours no larger)")
    for r in rows:
        if r['impl'] == 'hidra_nb' or key(r) not in mine: continue
        m = mine[key(r)]
        print(f"  {r['method']:5s} vs {r['impl']:27s} N={r['ways']:<3d} T={r['tasks']:<3d} steps={r['steps']:<3d} order={r['order']}: "
              f"time x{r['seconds'] / m['seconds']:.2f}, memory {m['peak_gb'] / r['peak_gb']:.2f} (iteration {m['iter_gb'] / r['iter_gb']:.2f})")

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default='cpu', help="'cpu', 'cuda' (or 'cuda:N') or 'auto'")
    only = p.add_mutually_exclusive_group()
    only.add_argument('--quick', action='store_true', help="only the headline workload")
    only.add_argument('--memory', action='store_true', help="only MAML at 5 and 10 second-order inner steps: memory against steps")
    p.add_argument('--repeats', type=at_least_one, default=3, help="timed meta-iterations (median) after one warm-up")
    p.add_argument('--rounds', type=at_least_one, default=3, help="fresh processes per light setting and implementation, in turn (median)")
    p.add_argument('--malloc', default='kept', choices=('kept', 'default'),
                   help="'kept': glibc keeps freed memory, as `hidra_nb train` sets it (keep_freed_memory); 'default': glibc's defaults")
    p.add_argument('--impls', nargs='+', metavar='NAME', help="time only these implementations, quoted where a name has spaces "
                   "(default: all that are installed; the meta-gradient check compares them with the plain loop either way)")
    p.add_argument('--results-dir', type=results_folder, default=str(HERE / 'results'), help="where the CSV goes (default bench/results)")
    p.add_argument('--one', help=argparse.SUPPRESS)
    p.add_argument('--check', action='store_true', help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.check:  # in its own process, so that this one stays small (children start with its peak memory) and compiles nothing
        print(json.dumps(gradient_check(load_images()[0], args.device, args.impls)))
        return
    if args.one:
        kw = json.loads(args.one)
        print(json.dumps(measure_one(kw.pop('impl_name'), kw.pop('ways'), kw.pop('tasks'), kw.pop('steps'), kw.pop('order'), **kw)))
        return
    from hidra_nb.training import pick_device
    try: device = pick_device(args.device)
    except ValueError as e: p.error(str(e))
    args.device = str(device)  # 'auto' resolved: the subprocesses are given the device itself
    on_gpu = device.type == 'cuda'
    if on_gpu: torch.cuda.set_device(device)  # the memory counters and the GPU's name below are this device's
    unknown = set(args.impls or ()) - set(IMPLS)
    if unknown: p.error(f"no implementation named {', '.join(map(repr, sorted(unknown)))}: choose from {', '.join(map(repr, IMPLS))}")
    impls = [n for n in IMPLS if (args.impls is None or n in args.impls) and n not in (ON_CPU_ONLY if on_gpu else ON_GPU_ONLY) and available(n)]  # imports only those asked for
    if not impls:
        elsewhere = set(args.impls or ()) & (ON_CPU_ONLY if on_gpu else ON_GPU_ONLY)
        p.error(f"{', '.join(map(repr, sorted(elsewhere)))} {'runs' if len(elsewhere) == 1 else 'run'} on a {'CPU' if on_gpu else 'GPU'} only; choose from the others" if elsewhere
                else f"none of {args.impls} is installed here")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}"
          f"{' (' + torch.cuda.get_device_name() + ')' if on_gpu else ''}; implementations: {', '.join(impls)}")
    print(f"meta-gradients against the plain loop on {args.device}, float64, Conv4-8, 5-way, 3 tasks, 2 inner steps:")
    try: lines, worst = in_fresh_process('--check', '--device', args.device, '--impls', *impls)
    except RuntimeError as e: sys.exit(f"the meta-gradient check failed:\n{e}")
    print('\n'.join(lines))
    print(f"largest difference: {worst:.1e}")
    if worst > 1e-9: sys.exit("the implementations disagree: timings would compare different computations")
    if args.memory: grids = [s for s in GRID if s['steps'] >= 5 and s['order'] == 2], []
    elif args.quick: grids = GRID[:2], HIDRA_GRID[:2]
    else: grids = GRID, HIDRA_GRID
    name = torch.cuda.get_device_name().replace(' ', '-') if on_gpu else args.device.split(':')[0]
    out = args.results_dir / f"{name}{'-quick' if args.quick else ''}{'-memory' if args.memory else ''}{'-default-malloc' if args.malloc == 'default' else ''}.csv"
    meta = dict(torch=torch.__version__, threads=torch.get_num_threads(), cpu=platform.processor() or platform.machine(),
                cpu_capability=torch.backends.cpu.get_cpu_capability(),  # AVX2 and AVX-512 machines differ here
                device=name, commit=checkout_commit(), grad_check_max_diff=f"{worst:.1e}", malloc=args.malloc)
    rows = []
    save = lambda more: write_csv(partial_csv(out), rows + more, meta)  # after every setting
    rows += run_grid(grids[0], impls, args.device, args.repeats, args.rounds, malloc=args.malloc, done=save)
    rows += run_grid(grids[1], impls, args.device, args.repeats, args.rounds, method='hidra', malloc=args.malloc, done=save)
    finish_csv(out)
    speedups(rows)
    print(f"wrote {out}")

if __name__ == '__main__':
    main()
