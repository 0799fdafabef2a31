"""Does mixing N inside a meta-batch (`--mixed-ways`) change HIDRA's accuracy or speed? Built-in glyphs, N = 2..10.

    python experiments/mixed_ways.py        # writes experiments/results/mixed_ways.csv (its runs trained in 390 and 424 s on 2 cores)

Two HIDRA runs with the demo's settings, the same seed and the same number of tasks: N drawn once per meta-batch (the
paper), and N drawn for every task. Both are evaluated on the same 100 test tasks for every N. The runs are kept in
experiments/runs/mixed_ways/ and resume where they stopped; other --iters or --eval-tasks write
mixed_ways-ITERS-TASKS.csv beside it, so that a trial leaves the committed file as it is.
"""
import argparse, sys
from dataclasses import replace
from pathlib import Path
import torch
from hidra_nb.backbone import check_whole_number
from hidra_nb.cli import demo_config
from hidra_nb.training import open_run, pick_device, what_runs_here
from hidra_nb.evaluation import evaluate, load_initialisation
from hidra_nb.data import write_csv
from omniglot import TIMINGS, fit_timed, git_commit

HERE = Path(__file__).resolve().parent

def main(iters=300, eval_tasks=100):
    torch.set_num_threads(1)  # the two runs compare like with like on a busy machine
    commit = git_commit('mixed_ways.py', 'omniglot.py')  # it runs omniglot.py's fit_timed too
    rows = []
    for mixed in (False, True):
        cfg = replace(demo_config(iters), mixed_ways=mixed, val_every=0, val_tasks=100, ckpt_every=50)  # val_tasks: as its runs were made
        out = HERE / 'runs' / 'mixed_ways' / f"{'per-task' if mixed else 'per-batch'}-{iters}"  # --iters another time: another run
        spent = fit_timed(open_run(out, cfg, keep=TIMINGS), out)  # a rerun of a finished run keeps the time it took to train
        device = pick_device(cfg.device)
        wall, cpu, ran_it = spent['seconds'], spent['cpu_seconds'], what_runs_here(device)
        model, cfg, test = load_initialisation(out, device)  # evaluated where it trained, as the CSV's machine says
        for r in evaluate(model, test, '2-10', n_tasks=eval_tasks, steps=3, inner_lr=0.4, shots=5, queries=5, seed=1000):
            rows.append(dict(n_drawn='per task' if mixed else 'per meta-batch', iters=iters, train_s=round(wall, 1),
                             train_cpu_s=round(cpu, 1), **r, seed=cfg.seed, commit=commit, **ran_it,
                             command=' '.join(['python', 'experiments/mixed_ways.py', *sys.argv[1:]])))
        print(f"N drawn {rows[-1]['n_drawn']}: {iters} meta-iterations in {wall:.0f} s ({cpu:.0f} s CPU)", flush=True)
    path = HERE / 'results' / ('mixed_ways.csv' if (iters, eval_tasks) == (300, 100) else f'mixed_ways-{iters}-{eval_tasks}.csv')  # a trial leaves the committed file be
    write_csv(path, rows)
    for step in (1, 3):
        print(f"\nquery accuracy (%) after {step} step(s), N = 2..10")
        for how in ('per meta-batch', 'per task'):
            print(f"  {how:15s}", ' '.join(f"{100 * r['acc']:5.1f}" for r in rows if r['n_drawn'] == how and r['step'] == step))
    print(f"wrote {path.relative_to(HERE.parent)}")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--iters', type=int, default=300, help="meta-iterations of each run (default 300, the demo's)")
    p.add_argument('--eval-tasks', type=int, default=100, help="test tasks for every N (default 100)")
    args = p.parse_args()
    for name in ('iters', 'eval_tasks'):  # before the training, not after it
        try: check_whole_number(f"--{name.replace('_', '-')}", getattr(args, name))
        except ValueError as e: p.error(str(e))
    from hidra_nb.training import TrainingStopped
    try: main(args.iters, args.eval_tasks)
    except TrainingStopped as e: sys.exit(f"mixed_ways.py: {e}")  # where the run stopped, saved, and how to go on
    except (ValueError, OSError) as e: sys.exit(f"mixed_ways.py: error: {e}")  # a folder in use by another process among them
