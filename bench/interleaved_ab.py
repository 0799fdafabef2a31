"""Ours against the plain loop (or `higher`, or learn2learn) in one process, the two taking turns: a finer comparison than the fresh-process grid.

    python bench/interleaved_ab.py --steps 5 --first-order --pairs 6
    python bench/interleaved_ab.py --method hidra
    python bench/interleaved_ab.py --images miniimagenet
    python bench/interleaved_ab.py --against higher --first-order
    python bench/interleaved_ab.py --against inductor-layout
    python bench/interleaved_ab.py --against first-layer-convolution --first-order
    python bench/interleaved_ab.py --side-by-side 2 --against one-at-a-time --tasks 32
    python bench/interleaved_ab.py --device cuda --tasks 32    # ours on vmap, the driver a GPU run tries first

This machine's speed drifts by 10-30% over minutes, which hides differences of a few percent between fresh
processes run one after the other. Here both implementations share one process, model and batch, alternate (in
ABBA order), and the ratio is taken pair by pair, so that drift cancels. MAML or HIDRA (the plain loop inside the
paper's Algorithm 1), Conv4-64, Omniglot 5-way 5-shot 15-query; ours on the driver a training run tries first (compiled
on a CPU, where the warm-up call compiles; vmap on a GPU), which the run keeps when it is faster than the loop. Prints the median ratio of ours to the other and its range. `--images
miniimagenet` times MiniImageNet's shapes instead (Conv4-32 on 3x84x84 images; random pixels, as speed does not
depend on them). `--against inductor-layout` times ours against itself compiled with Inductor's own choice of
layout (channels-last activations), which `hidra_nb` turns off on a CPU: it shows what that choice costs.
`--against first-layer-convolution` times ours against itself with the one-channel first layer left to oneDNN's
convolution instead of the batched product the compiled driver runs on a CPU (`thin_convolutions_as_products`):
it shows what the product buys on this machine's processor.
`--side-by-side 2` runs ours two tasks at a time (compiled driver, on a CPU; MAML chapter), and `--against
one-at-a-time` times it against the compiled driver one task at a time: it shows what the second task in flight buys.
`--against higher` (or `learn2learn`) times ours against that package's MAML in the same way, where it is installed
(bench README). `--device cuda` runs the same on a GPU, waiting for the GPU before each clock reading. It also prints each side's
memory for one meta-iteration (`meta_iteration_gb`, as `maml_bench.py` counts it). After the timing it checks, in
float64 on a small batch, that the two compute the same meta-gradient, and exits with an error if they do not (for
HIDRA the master neuron's own meta-gradient is about 0, so the check sees the backbone's: the core chapter tests the
master's).
"""
import argparse, statistics, sys
from contextlib import nullcontext
from functools import partial
import torch
from unittest import mock
import hidra_nb.maml
from hidra_nb.maml import CPU_COMPILE_OPTIONS, DRIVERS, checked_side_by_side, random_image_tasks, task_meta_grad
from hidra_nb.data import timed
from hidra_nb.training import keep_freed_memory, pick_device, what_runs_here
from maml_bench import (OPTIONAL, at_least_one, available, whole_number, float64_meta_gradient, impls_of, largest_difference, load_images, make_batch, training_driver,
                        make_model, meta_iteration_gb, ours, ours_hidra)

def miniimagenet_workload(method, tasks, device, ways=5, shots=5, queries=15):
    "Conv4-32 on 3x84x84 images, as the paper's MiniImageNet runs, with random pixels and balanced labels."
    model = make_model(ways, 32, method, image_shape=(3, 84, 84))
    return model.to(device), random_image_tasks(tasks, ways, shots, queries, (3, 84, 84), device=device)

def with_maml_patched(impl, name:str, value):
    "`impl` with `hidra_nb.maml.<name>` replaced by `value` while it runs: ours with one piece of its driver swapped."
    def run(*args, **kwargs):
        with mock.patch.object(hidra_nb.maml, name, value): impl(*args, **kwargs)
    return run

def with_inductor_layout(impl):
    "`impl` with the compiled task on Inductor's own layout choice (channels-last activations), our other options kept."
    compiled = torch.compile(task_meta_grad, options={**CPU_COMPILE_OPTIONS, 'layout_optimization': True})  # the one difference from ours
    return with_maml_patched(impl, 'compiled_task_meta_grad', lambda device_type: compiled)

def with_first_layer_convolution(impl):
    "`impl` with the first layer as oneDNN's convolution: the compiled driver's `thin_convolutions_as_products` left out."
    return with_maml_patched(impl, 'thin_convolutions_as_products', lambda model: nullcontext())

def largest_gradient_difference(impls:dict, method:str, first_order:bool, image_shape:tuple, device)->float:
    "Largest difference between the two implementations' meta-gradients on a small float64 batch: Conv4-8, 5-way, 3 tasks, 2 inner steps."
    batch = random_image_tasks(3, 5, 5, 3, image_shape, torch.Generator().manual_seed(0), torch.float64, device)
    return largest_difference(*(float64_meta_gradient(impl, method, batch, first_order) for impl in impls.values()))

BASELINES = {'plain': 'plain loop', 'higher': 'higher', 'learn2learn': 'learn2learn'}  # --against -> its name in maml_bench's tables
AGAINST = {**BASELINES, 'inductor-layout': "ours on Inductor's layout", 'one-at-a-time': 'ours one task at a time',
           'first-layer-convolution': 'ours with the first layer as a convolution'}

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--method', default='maml', choices=('maml', 'hidra'))
    p.add_argument('--steps', type=whole_number(0), default=1, help="inner steps")
    p.add_argument('--first-order', action='store_true')
    p.add_argument('--tasks', type=at_least_one, default=8, help="tasks a meta-batch")
    p.add_argument('--pairs', type=at_least_one, default=6, help="timed calls of each implementation")
    p.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    p.add_argument('--malloc', default='kept', choices=('kept', 'default'), help="glibc keeps freed memory (as `hidra_nb train`), or its defaults")
    p.add_argument('--images', default='omniglot', choices=('omniglot', 'miniimagenet'), help="the workload's image shape and Conv4 width")
    p.add_argument('--driver', default=None, choices=[d for d in DRIVERS if d != 'auto'],  # `maml_backward`'s 'auto' is the loop on a CPU
                   help="our driver (default: the one a training run tries first: compiled on a CPU, vmap on a GPU)")
    p.add_argument('--side-by-side', type=at_least_one, default=1, help="tasks ours runs at once (compiled driver only)")
    p.add_argument('--against', default='plain', choices=list(AGAINST),
                   help="the plain loop, `higher` or learn2learn (each around Algorithm 1 for HIDRA, as in maml_bench.py), ours "
                        "compiled with Inductor's default layout, ours one task at a time, or ours with the first layer as a convolution "
                        "(the last three: compiled driver only)")
    args = p.parse_args()
    try: device = pick_device(args.device)
    except ValueError as e: p.error(str(e))
    if args.malloc == 'kept': keep_freed_memory()
    try: checked_side_by_side(args.side_by_side, args.driver or training_driver(device), device)  # the library's check, before the data
    except ValueError as e: p.error(str(e))
    mine = partial(ours if args.method == 'maml' else ours_hidra, driver=args.driver, side_by_side=args.side_by_side)
    if args.against in BASELINES:
        baseline = BASELINES[args.against]
        if not available(baseline):
            p.error(f"--against {args.against} needs the {OPTIONAL[baseline]} package, which does not import here: bench/README.md says how to install it")
        other = impls_of(args.method)[baseline]
    elif args.driver not in (None, 'compiled'):
        p.error(f"--against {args.against} compares compiled drivers: leave --driver out or set it to 'compiled'")
    elif args.against == 'one-at-a-time' and args.side_by_side == 1:
        p.error("--against one-at-a-time times ours side by side against one task at a time: give --side-by-side 2 or more")
    elif args.against == 'inductor-layout':
        if device.type != 'cpu': p.error("--against inductor-layout compares our CPU options with Inductor's layout choice, which a GPU run keeps: run it with --device cpu")
        other = with_inductor_layout(partial(mine, driver='compiled'))
    elif args.against == 'first-layer-convolution':
        if device.type != 'cpu': p.error("--against first-layer-convolution compares two ways of the CPU driver's first layer (a GPU run keeps the convolution): run it with --device cpu")
        if args.images != 'omniglot': p.error("--against first-layer-convolution compares two ways of a one-channel first layer, and MiniImageNet's has three (both sides would run the same code): leave --images out")
        # both sides call one compiled function, whose version without the product would compile on two threads at once
        if args.side_by_side > 1: p.error("--against first-layer-convolution times one task at a time: leave --side-by-side out")
        other = with_first_layer_convolution(partial(mine, driver='compiled'))
    else: other = partial(mine, driver='compiled', side_by_side=1)  # ours as `--side-by-side` sets it, against one at a time
    torch.manual_seed(0)  # the options all checked: the data now
    if args.images == 'miniimagenet': (model, batch), images = miniimagenet_workload(args.method, args.tasks, device), 'miniimagenet'
    else:  # Omniglot where the data is, else the built-in glyphs: the line printed says which
        ds, images = load_images()
        model, batch = make_model(5, method=args.method).to(device), make_batch(ds, 5, args.tasks, device)
    impls = dict(ours=mine, other=other)
    run = lambda name: impls[name](model, batch, 0.4, args.steps, args.first_order)
    for name in impls: run(name)  # warm-up
    times = {name: [] for name in impls}
    for i in range(args.pairs):
        for name in (list(impls) if i % 2 else list(impls)[::-1]):
            times[name].append(timed(partial(run, name), device))
    memory = {name: meta_iteration_gb(partial(run, name), device) for name in impls}
    ratios = [a / b for a, b in zip(times['ours'], times['other'])]
    per_task = lambda name: 1000 * statistics.median(times[name]) / args.tasks
    other_name = AGAINST[args.against]
    print(f"{what_runs_here(device)['machine']}, {images}, {args.method}, {args.steps} inner steps, {'first' if args.first_order else 'second'} order, {args.tasks} tasks: "
          f"ours {per_task('ours'):.1f} ms a task, {other_name} {per_task('other'):.1f}; ours / {other_name}, pair by pair: "
          f"median {statistics.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}; "
          f"a meta-iteration's memory: ours {memory['ours']:.3f} GB, {other_name} {memory['other']:.3f} GB")
    # checked after the timing, so that the float64 code it compiles is not resident while the clock runs
    worst = largest_gradient_difference(impls, args.method, args.first_order, tuple(batch[0].shape[-3:]), device)
    print(f"meta-gradients of ours and {other_name}, float64 (Conv4-8, 5-way, 3 tasks, 2 inner steps): largest difference {worst:.1e}")
    if not worst <= 1e-9: sys.exit("the two disagree: the timings above compare different computations")

if __name__ == '__main__':
    main()
