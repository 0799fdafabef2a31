"""The paper's Figure 8: HIDRA's training and validation accuracy during meta-training on Omniglot, for N = 2, 5, 8, 10.

    python experiments/figure8.py                  # CPU scale: 300 meta-iterations each (about 25 minutes on 2 cores)
    python experiments/figure8.py --scale full     # as the full-scale Table 2 jobs (60,000 meta-iterations), for a GPU
    python experiments/figure8.py --plot-only      # figure8.png drawn again from figure8.csv, nothing trained

The paper: "the gap between the training and validation error grows with the number of classes per task". Each N
trains HIDRA as omniglot.py's jobs of that scale do, but holds out 100 of the paper split's 1200 training characters
for validation, and validates every twelfth of the run on the same 100 tasks. Validation adapts exactly as training
does (one inner step at 0.4; the same N, shots and queries), so the two accuracies differ only in their characters:
the training point is the mean over the meta-iterations since the last validation (8 tasks each at the CPU scale).
Runs go to runs/<scale>/figure8-hidra-N (checkpointed: a killed run resumes), the table to results/<scale>/figure8.csv
and the picture beside it.
"""
import argparse, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WAYS = (2, 5, 8, 10)
VAL_CLASSES, VAL_TASKS, POINTS = 100, 100, 12

def config(n:int, scale, args):
    "HIDRA `n` as omniglot.py's jobs of `scale` train, but validating, on tasks adapted as training adapts them."
    from omniglot import scale_config
    return scale_config(scale, args, method='hidra', ways=str(n), hidden=scale.hidden, inner_lr=0.4, inner_steps=1, test_inner_steps=1,
                        val_classes=VAL_CLASSES, val_every=max(1, scale.iters // POINTS), val_tasks=VAL_TASKS)

def curve(metrics:Path, n:int)->list: # a row for each validation: the training accuracy since the one before, and the validation's
    import json
    rows, window = [], []
    for line in metrics.read_text().splitlines():
        r = json.loads(line); window.append(r['acc'])
        if 'val_acc' in r:
            rows.append(dict(N=n, iter=r['iter'], train_acc=sum(window) / len(window), train_iters=len(window), val_acc=r['val_acc']))
            window = []
    return rows

def read_rows(path:Path)->list: # figure8.csv's rows, N and iter as whole numbers, the accuracies as fractions
    "The rows `figure8.py` wrote; a file cut short, changed, or without every N of `WAYS`, is named, not drawn half."
    import csv
    if not path.exists(): raise FileNotFoundError(f"no {path}: run figure8.py without --plot-only first")
    with open(path, newline='') as f:
        try: rows = [{**r, 'N': int(r['N']), 'iter': int(r['iter']), 'train_acc': float(r['train_acc']), 'val_acc': float(r['val_acc'])}
                     for r in csv.DictReader(f)]
        except (KeyError, TypeError, ValueError): raise ValueError(f"{path} is cut short or not figure8.py's: run figure8.py without --plot-only to write it again") from None
    if missing := [n for n in WAYS if n not in {r['N'] for r in rows}]: raise ValueError(
        f"{path} has no rows for N = {', '.join(map(str, missing))}: run figure8.py without --plot-only to write them")
    return rows

def plot(rows:list, path:Path):
    "Training and validation accuracy against the meta-iteration, a panel for each N, two panels a row."
    import math
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from hidra_nb.evaluation import save_figure
    n_rows = math.ceil(len(WAYS) / 2)
    fig, axs = plt.subplots(n_rows, 2, figsize=(7, 2.8 * n_rows), sharex=True, sharey=True, squeeze=False)
    for ax, n in zip(axs.flat, WAYS):
        mine = [r for r in rows if r['N'] == n]
        ax.plot([r['iter'] for r in mine], [100 * r['train_acc'] for r in mine], 'o-', ms=3, label='training')
        ax.plot([r['iter'] for r in mine], [100 * r['val_acc'] for r in mine], 's--', ms=3, label='validation')
        ax.set_title(f'HIDRA, {n}-way')
    for ax in axs[-1]: ax.set_xlabel('meta-iteration')
    for ax in axs[:, 0]: ax.set_ylabel('query accuracy\nafter one step (%)')
    axs[0, 0].legend(fontsize=8)
    plt.tight_layout(); save_figure(fig, path); plt.close(fig)

def main(argv=None):
    from omniglot import SCALES, TIMINGS, fit_timed, git_commit
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--scale', default='cpu', choices=list(SCALES), help="how big every run is (default cpu)")
    p.add_argument('--seed', type=int, default=0, help="the seed of every training run (default 0)")
    p.add_argument('--device', default='auto', help="'auto' (a GPU where there is one), 'cpu', 'cuda' or 'cuda:N'")
    p.add_argument('--data-root', default=None, help="Omniglot's folder, where it is not found by itself")
    p.add_argument('--plot-only', action='store_true', help="draw figure8.png again from the scale's figure8.csv, training nothing")
    args = p.parse_args(argv)
    path = HERE / 'results' / args.scale / 'figure8.csv'
    if args.plot_only:
        plot(read_rows(path), path.with_suffix('.png'))
        print(f"wrote {path.with_suffix('.png').relative_to(HERE.parent)} from {path.relative_to(HERE.parent)}"); return
    from hidra_nb.data import write_csv
    from hidra_nb.training import open_run, pick_device, what_runs_here
    scale, rows = SCALES[args.scale], []
    commit = git_commit('figure8.py', 'omniglot.py')  # once, before the training: the code that trains them all
    for n in WAYS:
        out = HERE / 'runs' / args.scale / f'figure8-hidra-{n}'
        spent = fit_timed(open_run(out, config(n, scale, args), keep=TIMINGS), out)  # a finished run adds nothing
        meta = dict(train_s=round(spent['seconds'], 1), seed=args.seed, commit=commit,
                    **what_runs_here(pick_device(args.device)), command=' '.join(['python', 'experiments/figure8.py', *(argv or sys.argv[1:])]))
        rows += [{**r, **meta} for r in curve(out / 'metrics.jsonl', n)]
        last = rows[-1]
        print(f"HIDRA {n}: trained in {spent['seconds']:.0f} s; at iteration {last['iter']}: training {100 * last['train_acc']:.1f}%, "
              f"validation {100 * last['val_acc']:.1f}%, gap {100 * (last['train_acc'] - last['val_acc']):+.1f} points", flush=True)
    write_csv(path, rows)
    plot(rows, path.with_suffix('.png'))
    print(f"wrote {path.relative_to(HERE.parent)} and {path.with_suffix('.png').relative_to(HERE.parent)}")

if __name__ == '__main__':
    sys.path.insert(0, str(HERE))
    from hidra_nb.training import TrainingStopped
    try: main()
    except TrainingStopped as e: sys.exit(f"figure8.py: {e}")  # where the run stopped, saved, and how to go on
    except (ValueError, OSError) as e: sys.exit(f"figure8.py: error: {e}")
