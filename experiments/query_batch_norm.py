"""What batch norm does to classifying images of your own (evaluation chapter, "Classifying images of your own").

    python experiments/query_batch_norm.py RUN [RUN ...]     # writes experiments/results/query_batch_norm.csv, prints a table a run

Batch norm normalises with the statistics of the batch it is given, and in training and evaluation that batch is a
task's query set. For each run, on 100 new test tasks at each N (5 shots, 15 queries a class, the run's own inner steps
and inner learning rate), every task is adapted once and its query images are classified four ways: all together (as
evaluation does), each alone, one class at a time, and with the support set's statistics (what `classify` and
`hidra_nb classify` do). The tasks at N come from --seed + N, as in `evaluate`. The runs of the chapter's table were made with

    hidra_nb demo --out /tmp/demo_run        # 300 meta-iterations on the glyphs
    hidra_nb train --dataset omniglot --data-root ../shared/data/omniglot --ways 2-10 --iters 300 --tasks 8 --queries 5 --inner-steps 1 --out /tmp/omni_run
"""
import argparse, sys, time
from pathlib import Path
import torch
from hidra_nb.evaluation import QUERY_BATCHINGS, accuracy_by_batch, load_initialisation
from hidra_nb.data import parse_ways, write_csv
from hidra_nb.training import what_runs_here
from omniglot import git_commit

HERE = Path(__file__).resolve().parent

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('runs', nargs='+', help="run folders (or checkpoint files) that `hidra_nb train` or `hidra_nb demo` wrote")
    p.add_argument('--ways', default='2,5,10', help="the N (default 2,5,10)")
    p.add_argument('--tasks', type=int, default=100, help="test tasks at each N (default 100)")
    p.add_argument('--queries', type=int, default=15, help="query images a class (default 15)")
    p.add_argument('--seed', type=int, default=1000, help="the tasks at N come from seed + N (default 1000)")
    p.add_argument('--csv', default=str(HERE / 'results' / 'query_batch_norm.csv'), help="the results file, written anew (default %(default)s)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # like with like on a busy machine
    commit, rows, csv = git_commit('query_batch_norm.py'), [], Path(args.csv)
    for run in args.runs:
        model, cfg, test = load_initialisation(run)
        print(f"\n{run}: {cfg.method} on {cfg.dataset}, {args.tasks} tasks at each N, {cfg.inner_steps} inner step(s) of {cfg.inner_lr}, "
              f"{args.queries} queries a class; query accuracy (%) +/- the half-width of its 95% interval")
        widths = [max(20, len(b)) for b in QUERY_BATCHINGS]  # a column as wide as its name, or as '100.00 +/- 10.00'
        print(f"{'N':>3}  " + '  '.join(f"{b:>{w}}" for b, w in zip(QUERY_BATCHINGS, widths)) + '  seconds')
        for n in parse_ways(args.ways):
            t = time.perf_counter()
            acc = accuracy_by_batch(model, test, n, n_tasks=args.tasks, inner_lr=cfg.inner_lr, inner_steps=cfg.inner_steps,
                                    shots=5, queries=args.queries, seed=args.seed)
            seconds = time.perf_counter() - t
            print(f"{n:>3}  " + '  '.join(f"{f'{a:.2f} +/- {c:.2f}':>{w}}" for (a, c), w in zip(acc.values(), widths)) + f"  {seconds:7.0f}", flush=True)
            rows += [dict(run=str(run), dataset=cfg.dataset, method=cfg.method, iters=cfg.iters, N=n, batch=b, acc=round(a, 2), ci95=round(c, 2),
                          tasks=args.tasks, queries=args.queries, shots=5, inner_steps=cfg.inner_steps, inner_lr=cfg.inner_lr, seed=args.seed, seconds=round(seconds, 1),
                          commit=commit, **what_runs_here(torch.device('cpu')), command=' '.join(['python', 'experiments/query_batch_norm.py', *sys.argv[1:]]))
                     for b, (a, c) in acc.items()]
            write_csv(csv, rows)  # N by N: a run stopped keeps what it measured
    print(f"\nwrote {csv}")

if __name__ == '__main__': main()
