"""What a task's tensors take at their peak, driver by driver: the memory the drivers differ in, without the allocator.

    python bench/tensor_peaks.py                      # MAML, second order, 1, 5 and 10 inner steps, one task
    python bench/tensor_peaks.py --steps 1 --drivers loop recompute

`maml_bench.py --memory` counts a process's resident memory, which also holds what the allocator keeps and what
compiling leaves behind. This counts only tensors: the peak of the bytes PyTorch's allocator holds while one task's
meta-gradient is computed (`peak_allocated_mb`, from the profiler's allocation events), on the benchmark's workload
(Conv4-64, Omniglot 5-way 5-shot 15-query, inner learning rate 0.4). Then it takes the recompute drivers apart: the
peak of each of their three pieces (run a step, pull back through a step, the query gradient) as they are and
compiled, and what eager PyTorch keeps from the query set's forward pass for the backward one. The compiled drivers
compile on a warm-up call first. Prints a table and writes tensor-peaks.csv to `--results-dir` (default bench/results,
where a run of only some drivers or steps would replace the committed table: give such a run another folder).
"""
import argparse, platform
from pathlib import Path
import torch
import torch.nn.functional as F
from hidra_nb.maml import DRIVERS, RECOMPUTE_PIECES, compiled_recompute_pieces, inner_steps_for, peak_allocated_mb
from hidra_nb.training import keep_freed_memory
from maml_bench import checkout_commit, load_images, make_batch, make_model, ours, results_folder, whole_number, write_csv

HERE = Path(__file__).resolve().parent

def driver_peaks(model, batch, drivers, steps)->list:
    "Tensor peak of one second-order meta-gradient, for each driver and number of inner steps."
    rows = []
    for u in steps:
        for driver in drivers:
            run = lambda: ours(model, batch, 0.4, u, False, driver=driver)
            run(); model.zero_grad(set_to_none=True)  # warm-up: the compiled drivers compile here
            rows.append(dict(what='meta-gradient', driver=driver, steps=u, peak_mb=peak_allocated_mb(run)))
            model.zero_grad(set_to_none=True)
    return rows

def piece_peaks(model, task, drivers)->list:
    "Tensor peak of each recompute piece, one inner step at second order, as it is and compiled: for those of the recompute drivers in `drivers`."
    xs, ys, xq, yq = task
    start = {k: v.detach() for k, v in model.named_parameters()}
    step = inner_steps_for(model, xs, ys, inner_lr=0.4, inner_steps=1)[0]
    rows = []
    pieces_of = {'recompute': lambda: RECOMPUTE_PIECES, 'compiled-recompute': lambda: compiled_recompute_pieces('cpu')}
    for name in [d for d in pieces_of if d in drivers]:  # a driver not asked for is not compiled
        run_step, pull_back, query_grad = pieces_of[name]()
        with torch.no_grad():  # as `recomputed_task_meta_grad` runs them
            adapted = run_step(step, start)
            cotangent = query_grad(adapted, model, xq, yq)[0]
            pull_back(step, start, cotangent)  # warm-up: compiles the compiled pieces
            pieces = dict(run_step=lambda: run_step(step, start), query_grad=lambda: query_grad(adapted, model, xq, yq),
                          pull_back=lambda: pull_back(step, start, cotangent))
            rows += [dict(what=piece, driver=name, steps=1, peak_mb=peak_allocated_mb(fn)) for piece, fn in pieces.items()]
    return rows

def saved_for_backward_mb(model, x, y)->float:
    "MB of the tensors eager autograd keeps from the forward pass of `x` until the backward pass."
    storages = {}
    def keep(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes(); return t
    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t): F.cross_entropy(model(x), y)
    return sum(storages.values()) / 2**20

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=whole_number(0), nargs='+', default=[1, 5, 10], help="inner steps, second order")
    p.add_argument('--drivers', nargs='+', default=['loop', 'compiled', 'recompute', 'compiled-recompute'], choices=DRIVERS[1:])
    p.add_argument('--results-dir', type=results_folder, default=str(HERE / 'results'), help="where tensor-peaks.csv goes (default: bench/results)")
    args = p.parse_args()
    keep_freed_memory()
    torch.manual_seed(0)
    model, batch = make_model(5), make_batch(load_images()[0], 5, 1, 'cpu')
    rows = driver_peaks(model, batch, args.drivers, args.steps) + piece_peaks(model, [t[0] for t in batch], args.drivers)
    rows.append(dict(what='saved by the query forward, eager', driver='loop', steps=None,
                     peak_mb=saved_for_backward_mb(model, batch[2][0], batch[3][0])))
    for r in rows: print(f"{r['what']:36s} {r['driver']:20s} {'' if r['steps'] is None else r['steps']:>3} steps  {r['peak_mb']:7.1f} MB")
    meta = dict(torch=torch.__version__, cpu=platform.processor() or platform.machine(),
                cpu_capability=torch.backends.cpu.get_cpu_capability(), commit=checkout_commit())
    out = args.results_dir / 'tensor-peaks.csv'
    write_csv(out, rows, meta)
    print(f"wrote {out}")

if __name__ == '__main__':
    main()
