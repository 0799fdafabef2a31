"""Reproduce the HIDRA paper's Omniglot experiments (Table 2, Figures 3 and 4, the robustness claim of section 4.3).

One command runs everything at a scale and writes the results next to this file:

    python experiments/omniglot.py                      # CPU scale (about 3 core-hours on a 2-core machine)
    python experiments/omniglot.py --workers 2          # the same, two processes of one thread each
    python experiments/omniglot.py --scale full         # the paper's scale, for a GPU
    python experiments/omniglot.py --report-only        # rebuild tables and figures from the finished jobs

Every job trains one initialisation into `experiments/runs/<scale>/<job>/` (checkpointed, so a killed run resumes
where it stopped), evaluates it on the same test tasks as every other job (saving each N as it is done, so that a
killed evaluation goes on where it stopped too), and writes `results/<scale>/<job>.csv` with the command, seeds, git
commit and wall times. Jobs whose CSV exists are skipped, where it was made with the same settings: rerunning resumes
(Ctrl-C or SIGTERM, to this process or to the workers' parent, stops at a safe point). To make a file again, move
`results/<scale>` and `runs/<scale>` aside first. At the end it rebuilds the tables and figures (`report.py`), once
every job is done.
"""
import argparse, csv, json, os, signal, subprocess, sys, time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAPER_SPLIT_SEED = 0  # the random 1200/423 character split (hidra_nb.data.paper_split) is drawn from this seed

@dataclass
class Scale:
    "How big every run of one scale is; `cpu` states each reduction from the paper's `full`."
    iters: int  # meta-iterations per initialisation
    tasks: int  # T, tasks per meta-batch
    queries: int  # Q during meta-training (evaluation always uses EVAL_QUERIES)
    first_order: bool
    eval_tasks: int  # test tasks for every N and setting
    hidden: int = 64
    narrow_hidden: int = 8  # Conv4 filters of the low-capacity model (robustness experiment)
    narrow_ways: tuple = (5, 10, 20, 30)

SCALES = {
    'full': Scale(iters=60_000, tasks=32, queries=15, first_order=False, eval_tasks=4000),
    'cpu': Scale(iters=300, tasks=8, queries=5, first_order=True, eval_tasks=100),
    'smoke': Scale(iters=3, tasks=2, queries=5, first_order=True, eval_tasks=4, narrow_ways=(5, 10)),  # a check that the pipeline runs
}
EVAL_QUERIES = 15  # queries per class at evaluation, at every scale: the authors' code's default (the paper gives no count)
EVAL_SETTINGS = ((0.4, 3), (0.01, 3))  # (inner lr, steps); steps 1 and 3 are read off the same trajectory
# The paper's "lr 0.01" blocks of Table 2 are most likely of models trained at 0.01 (its authors' readme trains
# OMNI_HIDRA_5_SMALL_lr with --learning_rate 0.01, and tests as it trained; the results chapter names the other reading):
# those jobs train at 0.01 and are evaluated at 0.01 only
LOW_LR, LOW_LR_WAYS = 0.01, ('2', '5', '8', '10')  # the HIDRA rows of the paper's 0.01 blocks
TABLE2_WAYS = '2-10'
TRANSPLANT_SETTING = (0.4, 3)

@dataclass
class Job:
    "One initialisation to train and the evaluations to run on it."
    name: str
    experiment: str  # 'table2', 'robustness'
    method: str
    ways: str  # training N
    hidden: int
    eval_ways: str
    transplant: bool = False  # Figure 3: evaluate each output neuron copied into every row
    inner_lr: float = 0.4  # alpha during meta-training
    eval_settings: tuple = EVAL_SETTINGS
    trained: bool = True  # False: the starting point, evaluated as it is (the paper's random initialisation)

    def cost(self)->float:
        "Rough relative cost (classes x filters) to balance jobs over workers."
        from hidra_nb.data import parse_ways
        n = parse_ways(self.ways); return sum(n) / len(n) * (self.hidden / 64 + 0.2)

def trained_at(name:str, lr)->str: return f"{name}-lr{float(lr):g}"  # the job of initialisation `name` trained at inner lr `lr`

def jobs_for(scale:Scale)->list:
    jobs = [Job(f'hidra-{w}', 'table2', 'hidra', w, scale.hidden, TABLE2_WAYS) for w in ('2', '5', '8', '10', '5-30')]
    jobs += [Job(trained_at(f'hidra-{w}', LOW_LR), 'table2', 'hidra', w, scale.hidden, TABLE2_WAYS, inner_lr=LOW_LR, eval_settings=((LOW_LR, 3),))
             for w in LOW_LR_WAYS]
    jobs += [Job(f'maml-{n}', 'table2', 'maml', str(n), scale.hidden, str(n), transplant=(n == 10)) for n in range(2, 11)]
    jobs.append(Job('untrained', 'table2', 'hidra', TABLE2_WAYS, scale.hidden, TABLE2_WAYS, trained=False))  # HIDRA's start, seed as the others
    nw = ','.join(map(str, scale.narrow_ways))
    jobs.append(Job(f'narrow-hidra-{scale.narrow_ways[0]}-{scale.narrow_ways[-1]}', 'robustness', 'hidra',
                    f'{scale.narrow_ways[0]}-{scale.narrow_ways[-1]}', scale.narrow_hidden, nw))
    jobs += [Job(f'narrow-maml-{n}', 'robustness', 'maml', str(n), scale.narrow_hidden, str(n)) for n in scale.narrow_ways]
    return jobs

def git_commit(*scripts:str)->str:
    "The commit the results come from, '+dirty' when the library or the experiment's `scripts` (default this one) have uncommitted changes."
    try:
        rev = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'hidra_nb', *(f'experiments/{s}' for s in scripts or ('omniglot.py',))], cwd=HERE.parent,
                               capture_output=True, text=True).stdout.strip()
        return rev + ('+dirty' if dirty else '')
    except (OSError, subprocess.CalledProcessError): return 'unknown'

def scale_config(scale:Scale, args, **settings):
    "A training run's configuration at `scale`, as every run of it trains (figure8.py's too): `settings` (method, ways, ...) over the scale's."
    from hidra_nb.training import make_config
    return make_config('omniglot', **{**dict(data_root=args.data_root, tasks=scale.tasks, queries=scale.queries, first_order=scale.first_order,
                                             iters=scale.iters, seed=args.seed, split_seed=PAPER_SPLIT_SEED, val_classes=0, val_every=0,
                                             ckpt_every=max(1, min(50, scale.iters // 5)), device=args.device), **settings})

def open_job_run(job:Job, scale:Scale, scale_name:str, args)->tuple: # (the Run, its folder)
    from hidra_nb.training import SettingsClash, open_run
    cfg = scale_config(scale, args, method=job.method, ways=job.ways, hidden=job.hidden, inner_lr=job.inner_lr)
    out = HERE / 'runs' / scale_name / job.name
    try: run = open_run(out, cfg, keep=TIMINGS)
    except SettingsClash as e: sys.exit(f"{out.relative_to(HERE)} holds this job's run with other settings ({e.settings}): give the options "
                                        f"it was started with to go on with it, or move it aside to start it anew")
    return run, out

def timed_into(log:Path, work)->tuple: # (what `work()` returns, seconds and CPU seconds spent on it over every call)
    "`work()`, with the time it took added to what the JSON file `log` holds: a job resumed counts the time of every session."
    from hidra_nb.data import write_atomic
    start, cpu_start = time.time(), time.process_time()
    try: result = work()
    finally:  # a session that stops (Ctrl-C, an error) spent its time too
        spent = dict(seconds=time.time() - start, cpu_seconds=time.process_time() - cpu_start)
        before = json.loads(log.read_text()) if log.exists() else {}
        total = {k: before.get(k, 0.) + v for k, v in spent.items()}
        write_atomic(log, lambda f: f.write(json.dumps(total)), 'w')
    return result, total

TIMINGS = ('train_seconds.json',)  # what fit_timed writes into a run folder, even before the run's first checkpoint

def fit_timed(run, out:Path)->dict: # seconds and CPU seconds spent training this run, over every call (resumes included)
    "`run.fit()`, with the time it took added to what `out`/train_seconds.json holds: a run that is already done adds nothing."
    from hidra_nb.training import training_lock
    with training_lock(out):  # the timings too: another process's would be added to this one's
        if run.iteration == 0: (out / TIMINGS[0]).unlink(missing_ok=True)  # a new run: an abandoned attempt's time is not its own
        return timed_into(out / TIMINGS[0], lambda: run.fit(progress=False))[1]

def evaluate_job(job:Job, scale:Scale, run_dir:Path, device:str, data_root:str=None)->list:
    from hidra_nb.evaluation import MadeOtherwise, data_fingerprint, evaluate_into, load_initialisation, transplant_neuron, weights_fingerprint
    from hidra_nb.training import pick_device
    model, cfg, test = load_initialisation(run_dir, pick_device(device), data_root)
    kw = dict(n_tasks=scale.eval_tasks, shots=5, queries=EVAL_QUERIES, seed=1000)  # the same test tasks for every job at a given N
    made = dict(tasks=kw['n_tasks'], shots=kw['shots'], queries=kw['queries'], seed=kw['seed'], weights=weights_fingerprint(model),
                data=data_fingerprint(test))
    def evaluated(name, m, lr, steps)->list:  # each N saved as it is done, so that a killed evaluation goes on where it stopped
        try: return evaluate_into(run_dir / 'eval-partial.csv', f'{name} lr={lr} steps={steps}', made, m, test, job.eval_ways,
                                  steps=steps, inner_lr=lr, **kw)
        except MadeOtherwise as e: sys.exit(f"{e}: delete it, and eval_seconds.json beside it, to evaluate this job again")
    rows = [dict(neuron='all', eval_lr=lr, **r) for lr, steps in job.eval_settings for r in evaluated('all', model, lr, steps)]
    if job.transplant:  # Figure 3: each learned output neuron copied into every row
        lr, steps = TRANSPLANT_SETTING
        rows += [dict(neuron=k, eval_lr=lr, **r) for k in range(int(job.ways))
                 for r in evaluated(f'neuron {k}', transplant_neuron(model, k), lr, steps)]
    return [{k: v for k, v in r.items() if k == 'tasks' or k not in made} for r in rows]  # the job's columns as before: `seed` is training's there

def save_start(run)->dict: # the time spent training: none
    "Save the run's starting point as its checkpoint, which the evaluation reads: an untrained job's initialisation."
    run.save()
    return dict(seconds=0., cpu_seconds=0.)

def done_already(job:Job, scale:Scale, scale_name:str, args)->bool:
    "Whether the job's results are there, made as asked; a file made otherwise, or cut short, stops the command."
    path = HERE / 'results' / scale_name / f'{job.name}.csv'
    if not path.exists(): return False
    with open(path, newline='') as f: first = next(csv.DictReader(f), None)
    if first is None or None in first or None in first.values(): sys.exit(
        f"{path.relative_to(HERE)} is empty, cut short or not a job's results: move it aside, and this job runs again (it resumes)")
    asked = dict(seed=args.seed, iters=scale.iters if job.trained else 0, meta_batch=scale.tasks, train_queries=scale.queries,
                 first_order=scale.first_order, hidden=job.hidden, tasks=scale.eval_tasks)
    if differ := [f"{k} {first.get(k)} there, {v} here" for k, v in asked.items() if first.get(k) != str(v)]:
        sys.exit(f"{path.relative_to(HERE)} holds results made otherwise ({'; '.join(differ)}): move results/{scale_name} "
                 f"and runs/{scale_name} aside to run these settings")
    print(f"{job.name}: done already ({path.relative_to(HERE)})", flush=True)
    return True

def run_job(job:Job, scale:Scale, scale_name:str, args):
    from hidra_nb.data import write_csv
    from hidra_nb.training import pick_device, training_lock, what_runs_here
    if done_already(job, scale, scale_name, args): return
    print(f"{job.name}: {'training' if job.trained else 'evaluating its starting point'}", flush=True)
    run, run_dir = open_job_run(job, scale, scale_name, args)
    # up to its results file: another omniglot.py would evaluate the job alongside, count both times and write it again
    with training_lock(run_dir):
        if done_already(job, scale, scale_name, args): return  # by another process, while this one opened the run
        train_s = fit_timed(run, run_dir) if job.trained else save_start(run)
        rows, eval_spent = timed_into(run_dir / 'eval_seconds.json', lambda: evaluate_job(job, scale, run_dir, args.device, args.data_root))
        eval_s, eval_cpu_s = eval_spent['seconds'], eval_spent['cpu_seconds']
        meta = dict(experiment=job.experiment, init=job.name, method=job.method, trained_ways=job.ways if job.trained else '',
                    train_lr=job.inner_lr if job.trained else '', hidden=job.hidden, iters=scale.iters if job.trained else 0, meta_batch=scale.tasks, train_queries=scale.queries, first_order=scale.first_order,
                    seed=args.seed, split_seed=PAPER_SPLIT_SEED, train_s=round(train_s['seconds'], 1), train_cpu_s=round(train_s['cpu_seconds'], 1),
                    eval_s=round(eval_s, 1), eval_cpu_s=round(eval_cpu_s, 1),
                    commit=git_commit(), **what_runs_here(pick_device(args.device)), command=' '.join(['python', 'experiments/omniglot.py', *user_args(sys.argv[1:])]))
        write_csv(HERE / 'results' / scale_name / f'{job.name}.csv', [{**meta, **r} for r in rows])
    print(f"{job.name}: trained in {train_s['seconds']:.0f} s, evaluated in {eval_s:.0f} s -> results/{scale_name}/{job.name}.csv", flush=True)

def user_args(argv:list)->list:
    "The command line as the user gave it: without the `--worker i` a worker process is started with."
    i = argv.index('--worker') if '--worker' in argv else len(argv)
    return argv[:i] + argv[i + 2:]

def assign(jobs:list, workers:int)->list: # list of job lists, balanced by estimated cost
    loads, plan = [0.] * workers, [[] for _ in range(workers)]
    for job in sorted(jobs, key=lambda j: -j.cost()):
        i = loads.index(min(loads)); plan[i].append(job); loads[i] += job.cost()
    return plan

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--scale', default='cpu', choices=list(SCALES), help="how big every run is (default cpu: about 3 core-hours on 2 cores)")
    p.add_argument('--only', default=None, help="comma-separated job names (default: all): "
                   + ', '.join(j.name for j in jobs_for(SCALES['cpu'])) + " at the cpu scale")
    p.add_argument('--workers', type=int, default=1, help="processes sharing the jobs, one thread each (with 1, the jobs run in this process on torch's default threads)")
    p.add_argument('--worker', type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument('--seed', type=int, default=0, help="the seed of every training run (default 0); results of another seed need results/<scale> moved aside")
    p.add_argument('--device', default='auto', help="'auto' (a GPU where there is one), 'cpu', 'cuda' or 'cuda:N'")
    p.add_argument('--data-root', default=None, help="Omniglot's folder, where it is not found by itself (../shared/data beside the repository)")
    p.add_argument('--report-only', action='store_true', help="only rebuild the tables and figures from the finished jobs' CSVs")
    args = p.parse_args(argv)
    scale = SCALES[args.scale]
    jobs = jobs_for(scale)
    if args.only:
        names = args.only.split(',')
        if unknown := set(names) - {j.name for j in jobs}: p.error(f"unknown job(s) {', '.join(sorted(unknown))}; jobs: {', '.join(j.name for j in jobs)}")
        jobs = [j for j in jobs if j.name in names]
    if args.workers < 1: p.error(f"--workers must be 1 or more, got {args.workers}")
    if not args.report_only:
        from hidra_nb.data import writable
        from hidra_nb.training import pick_device
        try: pick_device(args.device)  # before any job is skipped or started
        except ValueError as e: p.error(str(e))
        results = HERE / 'results' / args.scale
        results.mkdir(parents=True, exist_ok=True)
        if not writable(results): p.error(f"cannot write into {results}: make it writable, or run from a copy of the repository you can write")
        if args.worker is not None:  # a worker process: its share of the jobs, one thread
            import torch; torch.set_num_threads(1)
            run_jobs(assign(jobs, args.workers)[args.worker], scale, args)
            return
        if args.workers > 1:
            env = {**os.environ, 'OMP_NUM_THREADS': '1'}
            procs = [subprocess.Popen([sys.executable, __file__, *(argv if argv is not None else sys.argv[1:]), '--worker', str(i)], env=env)
                     for i in range(args.workers)]
            # SIGTERM to this process goes to the workers too, which stop at a safe point (Ctrl-C in a terminal reaches them all)
            signal.signal(signal.SIGTERM, lambda *_: [pr.send_signal(signal.SIGTERM) for pr in procs if pr.poll() is None])
            failed = []
            for pr in procs:  # every worker, not up to the first that failed: a rerun must find none still training
                while True:
                    try: failed.append(pr.wait()); break
                    except KeyboardInterrupt: pass  # Ctrl-C: the workers got it too, and stop; wait for them
            if any(failed): sys.exit("a worker stopped or failed, as it says above: the same command goes on where it stopped (fix what it "
                                     "names first, where it names a fault)")
        else: run_jobs(jobs, scale, args)
    import report; report.main(args.scale, strict=args.report_only)

def run_jobs(jobs:list, scale:Scale, args):
    "Each job in turn; a stop or a fault ends the process with one line that says how to go on."
    from hidra_nb.cli import sigterm_as_interrupt
    from hidra_nb.training import TrainingStopped
    try:
        with sigterm_as_interrupt():  # an evaluation stops where it can go on, and its time is kept
            for job in jobs: run_job(job, scale, args.scale, args)
    except TrainingStopped as e: sys.exit(f"omniglot.py: {e}")  # where the run stopped, saved, and how to go on
    except KeyboardInterrupt as e:  # in an evaluation, which saved each N it finished
        sys.exit(f"omniglot.py: stopped{f' ({e})' if str(e) else ''}: the same command goes on where it stopped")
    except (ValueError, OSError) as e: sys.exit(f"omniglot.py: error: {e}")

if __name__ == '__main__':
    sys.path.insert(0, str(HERE))
    main()
