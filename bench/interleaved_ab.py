"""Ours against the plain loop in one process, the two taking turns: a finer comparison than the fresh-process grid.

    python bench/interleaved_ab.py --steps 5 --first-order --pairs 6
    python bench/interleaved_ab.py --method hidra

This machine's speed drifts by 10-30% over minutes, which hides differences of a few percent between fresh
processes run one after the other. Here both implementations share one process, model and batch, alternate (in
ABBA order), and the ratio is taken pair by pair, so that drift cancels. MAML or HIDRA (the plain loop inside the
paper's Algorithm 1), Conv4-64, Omniglot 5-way 5-shot 15-query; ours on the driver a training run picks (compiled on
a CPU: the warm-up call compiles). Prints the median ratio of ours to the plain loop and its range.
"""
import argparse, statistics, time
from functools import partial
import torch
from hidra_nb.training import keep_freed_memory
from maml_bench import as_hidra, load_images, make_batch, make_model, ours, ours_hidra, plain_loop

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--method', default='maml', choices=('maml', 'hidra'))
    p.add_argument('--steps', type=int, default=1, help="inner steps")
    p.add_argument('--first-order', action='store_true')
    p.add_argument('--tasks', type=int, default=8, help="tasks a meta-batch")
    p.add_argument('--pairs', type=int, default=6, help="timed calls of each implementation")
    p.add_argument('--malloc', default='kept', choices=('kept', 'default'), help="glibc keeps freed memory (as `hidra_nb train`), or its defaults")
    p.add_argument('--driver', default=None, help="our driver: 'loop' or 'compiled' (default: the one a training run picks)")
    args = p.parse_args()
    if args.malloc == 'kept': keep_freed_memory()
    torch.manual_seed(0)
    model, batch = make_model(5, method=args.method), make_batch(load_images()[0], 5, args.tasks, 'cpu')
    impls = (dict(ours=partial(ours, driver=args.driver), plain=plain_loop) if args.method == 'maml' else
             dict(ours=partial(ours_hidra, driver=args.driver), plain=as_hidra(plain_loop)))
    run = lambda name: impls[name](model, batch, 0.4, args.steps, args.first_order)
    for name in impls: run(name)  # warm-up
    times = {name: [] for name in impls}
    for i in range(args.pairs):
        for name in (list(impls) if i % 2 else list(impls)[::-1]):
            t = time.perf_counter(); run(name); times[name].append(time.perf_counter() - t)
    ratios = [a / b for a, b in zip(times['ours'], times['plain'])]
    per_task = lambda name: 1000 * statistics.median(times[name]) / args.tasks
    print(f"{args.method}, {args.steps} inner steps, {'first' if args.first_order else 'second'} order, {args.tasks} tasks: "
          f"ours {per_task('ours'):.1f} ms a task, plain loop {per_task('plain'):.1f}; ours / plain loop, pair by pair: "
          f"median {statistics.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}")

if __name__ == '__main__':
    main()
