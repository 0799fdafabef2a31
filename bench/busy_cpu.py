"""A meta-iteration's time with PyTorch's OpenMP threads waiting in three ways, or on one thread, on an idle CPU and beside busy processes.

    python bench/busy_cpu.py                        # 2 rounds, one busy process; prints a table, writes bench/results/busy-cpu.csv
    python bench/busy_cpu.py --rounds 1 --busy 2    # two busy processes beside each measurement

When PyTorch's OpenMP threads (GNU libgomp in the Linux wheels) run out of work, they spin for a while before they
sleep: 300,000 turns unless told otherwise. On an idle machine that saves waking them for the next operation. When
another process wants a core, a thread may spin on it while the thread it waits for has none. libgomp reads its
settings once, when torch loads it, so every measurement runs in a fresh process started with its own environment:
libgomp's default, `GOMP_SPINCOUNT=1000` (spin briefly), `OMP_WAIT_POLICY=PASSIVE` (sleep at once), and
`OMP_NUM_THREADS=1` (one thread, so none waits: the way out that gives up the second core). Three
workloads: the demo's HIDRA meta-iteration (`hidra_nb demo`'s settings: 8 glyph tasks of 2-10 classes, Conv4-32, on
the loop driver, which the demo's 300 iterations run), and MAML at first order on the headline workload (Omniglot,
5-way, meta-batch 32, Conv4-64) on the compiled driver and on the loop. "Busy" starts `--busy` processes that spin
in Python beside every measurement. Each figure is the median seconds of a meta-iteration (Adam step included) in
one process, after warm-up; the table shows each round's, and the CSV keeps the median over rounds.
"""
import argparse, json, os, statistics, subprocess, sys, time
from contextlib import contextmanager
from pathlib import Path
from maml_bench import checkout_commit, finish_csv, in_fresh_process, load_images, make_batch, make_model as headline_model, partial_csv, results_folder, write_csv

HERE = Path(__file__).resolve().parent
SETTINGS = {'default': {}, 'GOMP_SPINCOUNT=1000': {'GOMP_SPINCOUNT': '1000'}, 'OMP_WAIT_POLICY=PASSIVE': {'OMP_WAIT_POLICY': 'PASSIVE'},
            'OMP_NUM_THREADS=1': {'OMP_NUM_THREADS': '1'}}
WORKLOADS = ('demo', 'compiled', 'loop')  # the demo's HIDRA; MAML at first order on the compiled driver and on the loop
THREADING = ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT', 'OMP_NUM_THREADS')  # each process gets only its setting's: the README's test command sets OMP_NUM_THREADS=1

def one_workload(work:str)->float:
    "In this (fresh) process: the median seconds of a meta-iteration of `work`, after warm-up."
    import torch
    from hidra_nb.data import TaskSampler, timed
    from hidra_nb.training import keep_freed_memory, load_split, make_model
    keep_freed_memory()  # as every `hidra_nb` command does
    torch.manual_seed(0)
    if work == 'demo':
        from hidra_nb.cli import demo_config
        from hidra_nb.core import hidra_step
        cfg, data = demo_config(), load_split('glyphs', 'train')
        model, sampler = make_model(cfg, data.image_shape), TaskSampler(data, cfg.ways, cfg.shots, cfg.queries, cfg.tasks, seed=cfg.seed)
        opt = torch.optim.Adam(model.parameters(), cfg.outer_lr)
        step = lambda: hidra_step(model, sampler.sample(), opt, inner_lr=cfg.inner_lr, inner_steps=cfg.inner_steps, driver='loop')
        warm_up, repeats = 5, 40
    else:
        from hidra_nb.maml import maml_step
        images, _ = load_images()
        model, batch = headline_model(5), make_batch(images, 5, 32, 'cpu')
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        step = lambda: maml_step(model, batch, opt, inner_lr=0.4, inner_steps=1, first_order=True, driver=work)
        warm_up, repeats = 2, 6  # the compiled driver's first call compiles
    for _ in range(warm_up): step()
    return statistics.median(timed(step) for _ in range(repeats))

def seconds_under(setting:str, work:str)->float:
    "Seconds a meta-iteration of `work` takes in a new process whose OpenMP threads run as `setting` says."
    env = {k: v for k, v in os.environ.items() if k not in THREADING} | SETTINGS[setting]
    try: return in_fresh_process('--one', work, script=__file__, env=env)[1]['seconds']
    except RuntimeError as e: raise RuntimeError(f"{work} under {setting} failed:\n{e}") from None

@contextmanager
def busy_processes(n:int):
    "`n` processes that spin in Python, one core's worth of work each, while the block runs."
    spinners = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(n)]
    try: yield
    finally:
        for p in spinners: p.kill(); p.wait()

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rounds', type=int, default=2, help="rounds of every setting and workload, the settings in turn")
    p.add_argument('--busy', type=int, default=1, help="busy processes beside each measurement in the busy half")
    p.add_argument('--workloads', nargs='+', default=list(WORKLOADS), choices=WORKLOADS)
    p.add_argument('--results-dir', type=results_folder, default=str(HERE / 'results'), help="where busy-cpu.csv goes (default bench/results)")
    p.add_argument('--one', choices=WORKLOADS, help=argparse.SUPPRESS)  # internal: measure one workload in this process
    args = p.parse_args()
    if args.one: return print(json.dumps(dict(seconds=one_workload(args.one))))
    if args.rounds < 1 or args.busy < 1: p.error("--rounds and --busy must be whole numbers >= 1")
    import torch
    from hidra_nb.training import what_runs_here
    meta = dict(what_runs_here(torch.device('cpu')), cores=len(os.sched_getaffinity(0)), busy_processes=args.busy, commit=checkout_commit(),
                date=time.strftime('%Y-%m-%d', time.gmtime()))
    print(f"{meta['machine']}, {meta['cores']} cores, torch {meta['torch']}, commit {meta['commit']}")
    out = Path(args.results_dir) / 'busy-cpu.csv'
    times = {}  # (condition, setting, workload) -> seconds, one a round
    rows = lambda: [dict(condition=c, setting=s, workload=w, seconds=statistics.median(ts), seconds_all=' '.join(f"{t:.3f}" for t in ts))
                    for (c, s, w), ts in times.items()]
    names = list(SETTINGS)
    for condition in ('idle', 'busy'):
        with busy_processes(args.busy if condition == 'busy' else 0):
            for i in range(args.rounds):  # the machine's speed drifts over minutes: the settings take turns
                for setting in names[i % len(names):] + names[:i % len(names)]:
                    for work in args.workloads:
                        times.setdefault((condition, setting, work), []).append(seconds_under(setting, work))
                        print(f"  {condition:4s} round {i + 1} {setting:24s} {work:8s} {times[condition, setting, work][-1]:.3f} s", flush=True)
                        write_csv(partial_csv(out), rows(), meta)  # after every measurement
    print(f"\nseconds a meta-iteration, each round's, idle | beside {args.busy} busy process(es):")
    print(f"{'setting':24s} " + ' '.join(f"{w:>27s}" for w in args.workloads))
    for setting in names:
        cell = lambda c, w: ' '.join(f"{t:.2f}" for t in times[c, setting, w])
        print(f"{setting:24s} " + ' '.join(f"{cell('idle', w) + ' | ' + cell('busy', w):>27s}" for w in args.workloads))
    finish_csv(out)
    print(f"wrote {out}")

if __name__ == '__main__': main()
