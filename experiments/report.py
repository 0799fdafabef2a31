"""Tables and figures of the Omniglot experiments, from the per-job CSVs of `omniglot.py`, beside the paper's Table 2.

    python experiments/report.py [scale]       # scale: cpu (default), full, smoke
    python experiments/report.py --partial     # from the jobs that are done, where some are not

It rewrites table2.*, robustness.* and the figures in results/<scale>/, and only from every job's complete results:
where a job is missing or cut short it names them and writes nothing, unless --partial.
"""
import csv, sys
from pathlib import Path
from hidra_nb.data import write_atomic, write_csv
from hidra_nb.evaluation import save_figure

HERE = Path(__file__).resolve().parent
NS = list(range(2, 11))

# The paper's Table 2 (Drumond et al. 2020), as printed, N = 2..10. The text extraction of the paper labels its three
# HIDRA blocks "lr 0.4, 1 step", "lr 0.01, 1 step" and "lr 0.01, 3 steps", most likely each of models trained at that
# learning rate (its authors' readme trains a "SMALL_lr" model at 0.01; the results chapter names the other reading),
# so our models trained at the setting's rate come first there; the MAML row gives no setting (Finn et al.'s
# protocol, 3 steps at 0.4, is the likely one). Rows hidra 5/8/10 of the last block fall and rise with N, as a model
# that overfits in 3 steps would: they may belong to "lr 0.4, 3 steps", which section 4.3 discusses. We print them as labelled.
PAPER = {
    ('0.4', 1): {'hidra-2': [99.7, 99.43, 99.16, 98.91, 98.64, 98.42, 98.21, 97.97, 97.78],
                 'hidra-5': [99.82, 99.64, 99.45, 99.32, 99.15, 99.02, 98.9, 98.74, 98.61],
                 'hidra-8': [99.82, 99.66, 99.52, 99.37, 99.19, 99.07, 98.94, 98.82, 98.69],
                 'hidra-10': [99.8, 99.63, 99.49, 99.32, 99.2, 99.09, 98.97, 98.82, 98.7],
                 'hidra-5-30': [99.69, 99.54, 99.31, 99.11, 99.01, 98.71, 98.5, 98.38, 98.05]},
    ('0.01', 1): {'hidra-2': [99.68, 99.42, 99.18, 98.86, 98.68, 98.45, 98.21, 98.01, 97.75],
                  'hidra-5': [99.79, 99.64, 99.48, 99.29, 99.14, 99.01, 98.86, 98.73, 98.62],
                  'hidra-8': [99.8, 99.66, 99.51, 99.33, 99.24, 99.09, 98.94, 98.79, 98.71],
                  'hidra-10': [99.8, 99.63, 99.49, 99.36, 99.2, 99.07, 98.96, 98.82, 98.71]},
    ('0.01', 3): {'hidra-2': [99.85, 99.69, 99.54, 99.31, 99.13, 98.91, 98.69, 98.48, 98.24],
                  'hidra-5': [97.05, 97.64, 99.17, 99.57, 99.53, 99.46, 99.37, 99.28, 99.19],
                  'hidra-8': [97.73, 96.13, 96.89, 98.27, 99.22, 99.43, 99.42, 99.33, 99.3],
                  'hidra-10': [98.09, 91.89, 87.72, 87.94, 89.96, 92.81, 95.53, 97.65, 98.66]},
    ('0.4', 3): {'maml': [98.16, 97.64, 97.36, 97.12, 96.85, 96.42, 95.35, 94.46, 94.58]},
}
SETTINGS = [('0.4', 1), ('0.4', 3), ('0.01', 1), ('0.01', 3)]
HIDRA_ROWS = ['hidra-2', 'hidra-5', 'hidra-8', 'hidra-10', 'hidra-5-30']

def read_jobs(scale:str)->list:
    rows = []
    for path in sorted((HERE / 'results' / scale).glob('*.csv')):
        with open(path, newline='') as f: found = list(csv.DictReader(f))
        if found and 'experiment' in found[0]:  # a job's results, not one of the tables made here
            rows += [r for r in found if None not in r and None not in r.values()]  # a row cut short is left out: its job counts as unfinished
    return rows

def unfinished_jobs(scale:str, rows:list)->list: # names of `scale`'s jobs whose results are missing or incomplete
    "The jobs `omniglot.py` would still run or finish at `scale`: each needs every N, setting and step of its evaluation."
    from omniglot import SCALES, TRANSPLANT_SETTING, jobs_for
    from hidra_nb.data import parse_ways
    if scale not in SCALES: return []  # a folder of one's own: whatever it holds
    have = {(r['init'], r['neuron'], lr_key(r['eval_lr']), int(r['N']), int(r['step'])) for r in rows}
    def wanted(job):
        evaluations = [('all', lr, steps) for lr, steps in job.eval_settings]
        if job.transplant: evaluations += [(str(k), *TRANSPLANT_SETTING) for k in range(int(job.ways))]
        return {(job.name, neuron, lr_key(lr), n, step) for neuron, lr, steps in evaluations
                for n in parse_ways(job.eval_ways) for step in range(steps + 1)}
    return [job.name for job in jobs_for(SCALES[scale]) if not wanted(job) <= have]

def lr_key(x)->str: return f"{float(x):g}"

def setting_name(lr:str, step:int)->str: return f"lr {lr}, {step} step{'s' * (step > 1)}"

def curve(rows:list, keep, key:str='N')->list: # [(N, accuracy %, 95% half-width %)], sorted by `key`
    "The points of the rows that `keep` accepts, in percent."
    return sorted((int(r[key]), 100 * float(r['acc']), 100 * float(r['ci95'])) for r in rows if keep(r))

def plot_curve(ax, pts:list, **kw):
    ax.errorbar([n for n, *_ in pts], [a for _, a, _ in pts], yerr=[h for *_, h in pts], marker='o', ms=3, capsize=2, **kw)

def pyplot():
    "matplotlib's pyplot on the file-only backend; chosen here, not on import, so that a notebook importing this keeps its own."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt

def train_lr(row:dict)->str: return lr_key(row.get('train_lr') or 0.4)  # jobs written before the column was: all trained at 0.4

def our_models(rows:list, init:str, lr:str)->list: # [(source label, {N: the job evaluated at N})]
    "Our models of table row `init` (a HIDRA initialisation, or 'maml': one job per N) evaluated at `lr`: the one trained at `lr` first, then any trained otherwise."
    from omniglot import trained_at
    trained = {r['init']: train_lr(r) for r in rows if r['experiment'] == 'table2'}  # job -> the inner lr it trained at
    if init == 'untrained': return [('ours', dict.fromkeys(NS, init))] if init in trained else []
    jobs = [{n: f'maml-{n}' for n in NS}] if init == 'maml' else [dict.fromkeys(NS, name) for name in (trained_at(init, lr), init)]
    found = sorted(((trained[job[NS[0]]], job) for job in jobs if job[NS[0]] in trained), key=lambda f: f[0] != lr)
    return [('ours' if at == lr else f'ours, trained at {at}', job) for at, job in found]

def table2(rows:list)->list: # rows of the side-by-side table
    "Ours (mean and 95% half-width, in %) and the paper's, for every setting, initialisation and N; our models trained at the setting's learning rate first."
    cell = {(r['init'], lr_key(r['eval_lr']), int(r['step']), int(r['N'])): (100 * float(r['acc']), 100 * float(r['ci95']))
            for r in rows if r['experiment'] == 'table2' and r['neuron'] == 'all'}
    out = []
    for lr, step in SETTINGS:
        for init in HIDRA_ROWS + ['maml', 'untrained']:
            for source, job in our_models(rows, init, lr):
                ours = [cell.get((job[n], lr, step, n)) for n in NS]
                if all(o is None for o in ours): continue
                out.append(dict(setting=setting_name(lr, step), init=init, source=source,
                                **{f'N={n}': '' if o is None else f"{o[0]:.2f} ± {o[1]:.2f}" for n, o in zip(NS, ours)}))
            if paper := PAPER.get((lr, step), {}).get(init):
                out.append(dict(setting=setting_name(lr, step), init=init, source='paper', **{f'N={n}': f"{v:.2f}" for n, v in zip(NS, paper)}))
    return out

def markdown(rows:list)->str:
    cols = list(rows[0])
    lines = ['| ' + ' | '.join(cols) + ' |', '|' + '---|' * len(cols)]
    return '\n'.join(lines + ['| ' + ' | '.join(str(r[c]) for c in cols) + ' |' for r in rows]) + '\n'

def plot_table2(rows:list, path:Path):
    plt = pyplot()
    from hidra_nb.evaluation import whole_number_ticks
    # two settings a row: four in one row shrank the figure's text past reading on the docs page
    n_rows = (len(SETTINGS) + 1) // 2
    fig, axs = plt.subplots(n_rows, 2, figsize=(9, 3.4 * n_rows), sharey=True, squeeze=False)
    for ax in axs[:, 0]: ax.set_ylabel('query accuracy (%)')
    axs = list(axs.flat)
    for ax, (lr, step) in zip(axs, SETTINGS):
        whole_number_ticks(ax.xaxis)
        for colour, init in enumerate(HIDRA_ROWS + ['maml', 'untrained']):
            for source, job in our_models(rows, init, lr):
                pts = curve(rows, lambda r: r['experiment'] == 'table2' and r['neuron'] == 'all' and lr_key(r['eval_lr']) == lr
                            and int(r['step']) == step and r['init'] == job.get(int(r['N'])))
                other = source.startswith('ours, trained at')  # at another learning rate: thin and dotted, beside the model trained at this one
                style = dict(color='gray', ls='-.', lw=1) if init == 'untrained' else dict(
                    color=f'C{colour}', ls=':' if other else '--' if init == 'maml' else '-', lw=0.8 if other else 1.5)
                if pts: plot_curve(ax, pts, **style, label=init.replace('-', ' ') + (' (one model per N)' if init == 'maml' else
                                                                                    ' (HIDRA before training)' if init == 'untrained' else ''))
        ax.set_title(setting_name(lr, step)); ax.set_xlabel('N (classes in the test task)'); ax.grid(alpha=0.3)
    # one legend for all four: the colours are the initialisations; dotted, in a 0.01 panel, is the model trained at 0.4
    handles = {}
    for ax in axs[:len(SETTINGS)]:
        for h, l in zip(*ax.get_legend_handles_labels()): handles.setdefault(l, h)  # the first panel's: solid
    handles['dotted: trained at 0.4, evaluated at 0.01'] = plt.Line2D([], [], color='gray', ls=':', lw=0.8)
    fig.legend(handles.values(), handles.keys(), loc='lower center', ncol=4, fontsize=7, frameon=False)
    plt.tight_layout(rect=(0, 0.06, 1, 1)); save_figure(fig, path, dpi=110); plt.close(fig)

def plot_figure3(rows:list, path:Path):
    plt = pyplot()
    lr, step = '0.4', 3
    sel = [r for r in rows if r['init'] == 'maml-10' and lr_key(r['eval_lr']) == lr and int(r['step']) == step]
    if not sel: return None
    full = next(r for r in sel if r['neuron'] == 'all')
    each = curve(sel, lambda r: r['neuron'] != 'all', key='neuron')
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar([k for k, *_ in each], [a for _, a, _ in each], yerr=[h for *_, h in each], capsize=2, color='tab:blue', label='every row = neuron k')
    ax.axhline(100 * float(full['acc']), ls='--', color='k', label=f"all ten learned rows ({100 * float(full['acc']):.2f}%)")
    ax.set_ylim(0, 100); ax.set_xticks(range(10)); ax.set_xlabel('output neuron k copied into all ten rows')
    ax.set_ylabel('query accuracy (%)'); ax.set_title(f"MAML 10-way, 10-way test tasks, {step} steps at {lr}"); ax.legend(fontsize=7, loc='upper right')
    plt.tight_layout(); save_figure(fig, path, dpi=110); plt.close(fig)
    return dict(full=100 * float(full['acc']), mean_transplanted=sum(a for _, a, _ in each) / len(each),
                better=sum(a > 100 * float(full['acc']) for _, a, _ in each))

def plot_figure4(scale:str, path:Path):
    "Heatmap of the MAML 10-way output layer (needs the run folder, which is not committed)."
    run = HERE / 'runs' / scale / 'maml-10' / 'checkpoint.pt'
    if not run.exists(): return False
    plt = pyplot()
    import torch
    from hidra_nb.training import TrainConfig, load_checkpoint, make_model
    from hidra_nb.evaluation import plot_head
    ckpt = load_checkpoint(run)
    w = ckpt['model']['1.weight']
    cfg = TrainConfig(**ckpt['config'])
    torch.manual_seed(cfg.seed)
    w0 = make_model(cfg, (1, 28, 28))[1].weight.detach()  # the run's starting point: same seed, same construction
    from hidra_nb.demos import row_similarity
    write_csv(path.with_suffix('.csv'), [dict(rows='learned (MAML 10-way)', mean_pairwise_cosine=f"{row_similarity(w):.3f}"),
                                         dict(rows='at initialisation', mean_pairwise_cosine=f"{row_similarity(w0):.3f}")])
    fig, ax = plt.subplots(figsize=(7, 2.2))
    plot_head(w, ax=ax, title='MAML 10-way output layer: rows = output neurons, columns = the 64 features')
    plt.tight_layout(); save_figure(fig, path, dpi=110); plt.close(fig)
    return True

def robustness(rows:list, path:Path):
    plt = pyplot()
    sel = [r for r in rows if r['experiment'] == 'robustness' and r['neuron'] == 'all']
    if not sel: return None
    out, hidra_ways = [], next((r['trained_ways'] for r in sel if r['method'] == 'hidra'), '?')
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    from hidra_nb.evaluation import whole_number_ticks
    for ax, (lr, step) in zip(axs, [('0.4', 1), ('0.4', 3)]):
        whole_number_ticks(ax.xaxis)
        for method, style in (('hidra', '-'), ('maml', '--')):
            pts = curve(sel, lambda r: r['method'] == method and lr_key(r['eval_lr']) == lr and int(r['step']) == step)
            plot_curve(ax, pts, ls=style, label=f"HIDRA, one model trained on {hidra_ways}" if method == 'hidra' else 'MAML, one model per N')
            ax.plot([p[0] for p in pts], [100 / p[0] for p in pts], ':', color='gray', lw=0.8)
            out += [dict(method=method, setting=setting_name(lr, step), N=n, acc=f"{a:.2f}", ci95=f"{h:.2f}") for n, a, h in pts]
        ax.set_title(f"Conv4 with {sel[0]['hidden']} filters, {setting_name(lr, step)}"); ax.set_xlabel('N'); ax.grid(alpha=0.3)
    axs[0].set_ylabel('query accuracy (%)'); axs[0].legend(fontsize=7); axs[1].text(0.02, 0.02, 'dotted: chance', transform=axs[1].transAxes, fontsize=7)
    plt.tight_layout(); save_figure(fig, path, dpi=110); plt.close(fig)
    return out

def main(scale:str='cpu', partial:bool=False, # `partial`: tables from the finished jobs, where some are not
         strict:bool=True): # an unfinished job stops the command (else: said, and the tables left as they are)
    rows = read_jobs(scale)
    if not rows: sys.exit(f"no results in {HERE / 'results' / scale}: run experiments/omniglot.py --scale {scale} first")
    if (unfinished := unfinished_jobs(scale, rows)) and not partial:
        said = (f"{len(unfinished)} job(s) without complete results in results/{scale} ({', '.join(unfinished[:4])}"
                f"{', ...' if len(unfinished) > 4 else ''}), so the tables and figures there are left as they are: finish them with "
                f"experiments/omniglot.py --scale {scale} (it resumes), or rebuild from the finished ones with report.py {scale} --partial")
        if strict: sys.exit(said)
        print(said); return
    if unfinished: print(f"--partial: {len(unfinished)} job(s) left out ({', '.join(unfinished)}); a figure that needs one keeps its older file")
    out = HERE / 'results' / scale
    t2 = table2(rows)
    if t2:
        write_csv(out / 'table2.csv', t2); write_atomic(out / 'table2.md', lambda f: f.write(markdown(t2)), 'w'); plot_table2(rows, out / 'table2.png')
        print(f"wrote {out / 'table2.csv'}, table2.md, table2.png")
    if (f3 := plot_figure3(rows, out / 'figure3.png')):
        print(f"figure 3: all rows {f3['full']:.2f}%, mean of the transplanted {f3['mean_transplanted']:.2f}%, {f3['better']} of 10 above")
    if plot_figure4(scale, out / 'figure4.png'): print(f"wrote {out / 'figure4.png'}")
    else: print(f"figure 4 needs runs/{scale}/maml-10/checkpoint.pt, which is not here (run folders are not committed): figure4.png left as it is")
    if (rb := robustness(rows, out / 'robustness.png')): write_csv(out / 'robustness.csv', rb); print(f"wrote {out / 'robustness.csv'}, robustness.png")
    jobs = {r['init']: r for r in rows}
    print(f"{len(jobs)} jobs; training {sum(float(r['train_s']) for r in jobs.values()) / 3600:.2f} h wall, "
          f"evaluation {sum(float(r['eval_s']) for r in jobs.values()) / 3600:.2f} h wall")

if __name__ == '__main__':
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('scale', nargs='?', default='cpu', help="the results folder under experiments/results (default cpu)")
    p.add_argument('--partial', action='store_true', help="rebuild from the finished jobs where some are missing or cut short")
    args = p.parse_args()
    sys.path.insert(0, str(HERE))  # omniglot.py, which says what every job's results hold
    main(args.scale, args.partial)
