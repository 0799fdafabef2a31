"""What a ground unlike the support set's costs when classifying drawings of your own (evaluation chapter, "Classifying images of your own").

    python experiments/drawing_ground.py RUN [RUN ...]     # writes experiments/results/drawing_ground.csv, prints a table a run

Drawings are read as ink 255 on a ground of 0, blank paper. A photograph of paper, or a scan of grey paper, reads with
a ground above 0. For each run (trained on drawings: Omniglot or the glyphs), on 100 new test tasks at each N (5
shots, 15 queries a class, the run's own inner steps and inner learning rate), the ground is raised to g of 255
(every pixel v becomes g + v (255 - g) / 255: paper greyer by g, ink as black; with --noise, Gaussian noise of that
standard deviation on top, as a camera adds, and the pixels rounded to whole numbers) three ways:

- `queries`: in the query images only, the support images left as they were (a task photographed apart from its
  labelled examples), read as `read_images` read drawings before it levelled their ground;
- `queries, levelled`: the same, each query image then levelled as `read_images` reads drawings now (`level_ground`);
- `both`: in the support and the query images alike, not levelled.

The query images are classified as `classify` does, with the support set's statistics. The tasks at N come from
--seed + N, as in `evaluate`. The runs are those of `experiments/query_batch_norm.py`.
"""
import argparse, csv as csv_file, sys, time
from pathlib import Path
import torch
from hidra_nb.data import TaskSampler, level_ground, parse_ways, write_csv
from hidra_nb.evaluation import adapt_to, input_dtype, load_initialisation, logits_with_support, mean_ci95, model_device
from hidra_nb.training import what_runs_here
from omniglot import git_commit

HERE = Path(__file__).resolve().parent

WAYS = ('queries', 'queries, levelled', 'both')  # where the ground is raised, and whether the images are levelled then

def on_ground(x:torch.Tensor, ground:float, noise:float, gen:torch.Generator)->torch.Tensor: # drawings scaled to [0, 1], ink 1 on 0
    "The drawings of `x` on a ground raised to `ground` of 255, their ink as it was, with `noise` (of 255) added, in whole steps of 1/255."
    g = ground / 255
    y = g + x * (1 - g) + noise / 255 * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    return (y * 255).round().clamp(0, 255) / 255

def levelled(x:torch.Tensor)->torch.Tensor: # drawings scaled to [0, 1]
    return level_ground((x * 255).round().to(torch.uint8)).to(x.dtype) / 255

def accuracy_on_ground(model, test, n:int, grounds:list, *, n_tasks:int, inner_lr:float, inner_steps:int, queries:int, seed:int,
                       noise:float=0.)->dict:
    "(ground, way) -> (accuracy %, half-width of its 95% interval), for each of `WAYS`."
    tasks = TaskSampler(test, n, 5, queries, tasks=1, seed=seed + n, device=model_device(model), dtype=input_dtype(model))
    accs, gen = {(g, w): [] for g in grounds for w in WAYS}, torch.Generator().manual_seed(seed + n)
    right = lambda p, s_x, x, y: logits_with_support(model, p, s_x, x).argmax(-1).eq(y).float().mean()
    for i in range(n_tasks):
        s_x, s_y, q_x, q_y = (t[0] for t in tasks[i])
        as_drawn = adapt_to(model, s_x, s_y, inner_lr=inner_lr, inner_steps=inner_steps)
        for g in grounds:
            s_g, q_g = on_ground(s_x, g, noise, gen), on_ground(q_x, g, noise, gen)
            on_both = adapt_to(model, s_g, s_y, inner_lr=inner_lr, inner_steps=inner_steps)
            accs[g, 'queries'].append(right(as_drawn, s_x, q_g, q_y))
            accs[g, 'queries, levelled'].append(right(as_drawn, s_x, levelled(q_g), q_y))
            accs[g, 'both'].append(right(on_both, s_g, q_g, q_y))
    return {k: tuple(100 * v for v in mean_ci95(torch.stack(a))) for k, a in accs.items()}

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('runs', nargs='+', help="run folders (or checkpoint files) trained on Omniglot or the glyphs")
    p.add_argument('--ways', default='5', help="the N (default 5)")
    p.add_argument('--grounds', default='0,4,8,12,16,24,32,48,64', help="the grounds g, of 255 (default %(default)s)")
    p.add_argument('--tasks', type=int, default=100, help="test tasks at each N (default 100)")
    p.add_argument('--queries', type=int, default=15, help="query images a class (default 15)")
    p.add_argument('--noise', type=float, default=0., help="the noise's standard deviation, of 255 (default 0)")
    p.add_argument('--seed', type=int, default=1000, help="the tasks at N come from seed + N (default 1000)")
    p.add_argument('--csv', default=str(HERE / 'results' / 'drawing_ground.csv'), help="the results file; rows of the same runs, N and "
                   "noise are replaced, others kept (default %(default)s)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # like with like on a busy machine
    grounds = [float(g) for g in args.grounds.split(',')]
    commit, rows, csv = git_commit('drawing_ground.py'), [], Path(args.csv)
    kept = list(csv_file.DictReader(open(csv, newline=''))) if csv.exists() else []  # other runs, N and noise: measured before
    for run in args.runs:
        model, cfg, test = load_initialisation(run)
        if (test.info['mean'], test.info['std']) != ([0.0], [1.0]) or test.info['dataset'] not in ('omniglot', 'glyphs'):
            sys.exit(f"{run} trained on {test.info['dataset']}: this measures drawings, ink 255 on 0 (Omniglot, the glyphs)")
        print(f"\n{run}: {cfg.method} on {cfg.dataset}, {args.tasks} tasks at each N, {cfg.inner_steps} inner step(s) of {cfg.inner_lr}, "
              f"noise {args.noise:g}; query accuracy (%) +/- the half-width of its 95% interval, the ground raised three ways")
        print(f"{'N':>3}  {'ground':>6}  " + '  '.join(f"{w:>18}" for w in WAYS))
        for n in parse_ways(args.ways):
            t = time.perf_counter()
            acc = accuracy_on_ground(model, test, n, grounds, n_tasks=args.tasks, inner_lr=cfg.inner_lr, inner_steps=cfg.inner_steps,
                                     queries=args.queries, seed=args.seed, noise=args.noise)
            seconds = time.perf_counter() - t
            for g in grounds:
                print(f"{n:>3}  {g:>6.0f}  " + '  '.join(f"{f'{a:.2f} +/- {c:.2f}':>18}" for a, c in (acc[g, w] for w in WAYS)), flush=True)
            rows += [dict(run=str(run), dataset=cfg.dataset, method=cfg.method, iters=cfg.iters, N=n, noise=args.noise, ground=g, way=w, acc=round(a, 2), ci95=round(c, 2),
                          tasks=args.tasks, queries=args.queries, shots=5, inner_steps=cfg.inner_steps, inner_lr=cfg.inner_lr, seed=args.seed,
                          seconds=round(seconds, 1), commit=commit, **what_runs_here(torch.device('cpu')),
                          command=' '.join(['python', 'experiments/drawing_ground.py', *sys.argv[1:]]))
                     for (g, w), (a, c) in acc.items()]
            now = {(r['run'], str(r['N']), str(r['noise'])) for r in rows}
            write_csv(csv, [r for r in kept if (r['run'], r['N'], r['noise']) not in now] + rows)  # N by N: a run stopped keeps what it measured
    print(f"\nwrote {csv}")

if __name__ == '__main__': main()
