#!/usr/bin/env python
"""Does MAHT-Net earn its parts? Heads and variants trained over several seeds on the hard synthetic set, chosen on
validation, then scored once on the test split and on a fresh set that nothing was tuned on.

    python bench/accuracy.py                                   # the whole grid (resumable), then the report
    python bench/accuracy.py --views AP --seeds 0 --rows maht  # one cell of it
    python bench/accuracy.py --report                          # the report of what is done, nothing trained

The protocol:

* one hard synthetic set (`--patients`, `--data-seed`) split by patient with `--split-seed`; every row trains on the
  same training films, at the same image size, for the same epochs, with `maht_train`'s own training (`train`) and
  its defaults for the preset, and keeps its best epoch on the **validation** split (mean error in mm);
* each row is trained once per training seed (`--seeds`; the seed changes the initial weights, the order of the
  batches and the augmentation, never the split);
* every run is scored from its best epoch on validation, on the test split and on a **fresh** hard set of
  `--fresh-patients` new patients (another data seed, all of its films), in the films' true millimetres (the
  synthetic sets carry their spacing table);
* the MAHT-Net variant (rows named maht*) is chosen by its mean validation error over the views and seeds, before any
  test or fresh number is printed, and no test or fresh number is printed until every (view, row, seed) of the grid is
  done; only the chosen variant and the plain network are reported on test and fresh;
* a row is mean +- sd over seeds; the comparison of the chosen variant with the plain network is a paired per-film
  bootstrap 95% interval (films resampled, the same films for both, 10,000 draws) of the difference in mean error and
  in level identification, with the films that have any edge off its level.

On a clinical set (`--difficulty clinical`, with `--out bench/results/clinical`) the CSVs hold what annotators clicked
and the exact corners lie in `truth/`: every run is also scored against the exact corners, beside the annotators' own
error on the same films, and level identification is given apart for the patients with transitional anatomy.

Each (view, row, seed) result is written to `<out>/runs/` as soon as it finishes and skipped when it is there, so the
grid builds up across runs and machines; `<out>/commands.txt` keeps every command that added to it. `--device cuda`
runs the same grid on a GPU.
"""
import argparse, json, re, shlex, subprocess, sys, tempfile, time, warnings
from datetime import datetime
from pathlib import Path

ROWS = {     # name: (what it is, the settings it changes)
    'plain': ('plain heatmap network (1x1 convolution to K maps)', dict(head='plain')),
    'maht': ('MAHT-Net', dict()),
    'maht_coord': ('MAHT-Net, coordinate channels for the queries', dict(coord_channels=True)),
    'maht_no_bridge': ('MAHT-Net queries without the bridge', dict(bridge=False)),
    'plain_bridge': ('bridge under a fixed 1x1 head', dict(head='plain', bridge=True)),
    'maht_no_anat': ('MAHT-Net without the anatomical term', dict(anatomical_weight=0.0)),
}
SETS = ('val', 'test', 'fresh')
ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a = ap.add_argument
    a('--views', nargs='+', default=['AP', 'LA'], choices=['AP', 'LA'])
    a('--rows', nargs='+', default=['plain', 'maht', 'maht_coord'], choices=list(ROWS))
    a('--seeds', nargs='+', type=int, default=[0, 1, 2], help='training seeds (default 0 1 2)')
    a('--split-seed', type=int, default=42, help='seed of the patient split (default 42)')
    a('--difficulty', default='hard', choices=['hard', 'clinical'], help='the synthetic sets (default hard)')
    a('--patients', type=int, default=200, help='patients in the training set (default 200)')
    a('--data-seed', type=int, default=42, help='seed of the hard training set')
    a('--fresh-patients', type=int, default=500, help='patients in the fresh scoring set (default 500)')
    a('--fresh-seed', type=int, default=2027, help='seed of the fresh scoring set (another data seed)')
    a('--max-size', type=int, default=1024, help='longer side of the generated films (default 1024 px)')
    a('--model-size', default='small', choices=['tiny', 'small', 'full'])
    a('--image-size', type=int, default=256)
    a('--epochs', type=int, default=12)
    a('--batch-size', type=int, default=4)
    a('--device', default='cpu', help='cpu, cuda or mps (default cpu)')
    a('--threads', type=int, default=0, help='torch threads (0: torch default)')
    a('--out', default=str(ROOT/'bench'/'results'/'protocol'), help='folder of the results (default bench/results/protocol)')
    a('--report', action='store_true', help='write the report of the results there, train nothing')
    a('--draws', type=int, default=10_000, help='bootstrap draws (default 10000)')
    return ap.parse_args(argv)


def run_name(view, row, seed): return f"{view}_{row}_seed{seed}"


def setup(a) -> dict:
    "What every result of one grid must share; a result made with other settings is refused, not mixed in."
    return dict(patients=a.patients, data_seed=a.data_seed, split_seed=a.split_seed, fresh_patients=a.fresh_patients,
                fresh_seed=a.fresh_seed, max_size=a.max_size, model_size=a.model_size, image_size=a.image_size,
                epochs=a.epochs, batch_size=a.batch_size, **({} if a.difficulty == 'hard' else dict(difficulty=a.difficulty)))


def transitional(root, stems) -> list:
    "Each film's transitional anatomy ('' for none) from a clinical set's truth/films.csv."
    import csv
    from maht_net.data import TRUTH_FOLDER
    with open(Path(root)/TRUTH_FOLDER/'films.csv') as f: kinds = {r['stem']: r['transitional'] for r in csv.DictReader(f)}
    return [kinds[s] for s in stems]


def scores(ev, root=None) -> dict:
    "Per-film numbers of one evaluation, enough to rebuild every column and every paired comparison."
    import numpy as np
    ident = ev.edges_identified
    out = dict(stems=list(ev.stems), spacing_source=ev.spacing_source,
               mm_per_px=np.round(ev.spacing, 5).tolist(),
               err_mm=np.round(ev.err_mm, 4).tolist(),                 # (N, K) corner errors, true mm
               err_px=np.round(ev.err_px, 3).tolist(),                 # (N, K) original pixels
               edges_identified=ident.astype(int).tolist())            # (N, E)
    ex = ev.against_exact()
    if ex is not None:                                                  # a clinical set: the exact corners too
        out.update(exact_err_mm=np.round(ex.err_mm, 4).tolist(), exact_edges_identified=ex.edges_identified.astype(int).tolist(),
                   annotation_err_mm=np.round(ev.annotations_against_exact().err_mm, 4).tolist(),
                   transitional=transitional(root, ev.stems))
    return out


def train_one(a, view, row, seed, data, fresh, runs_dir) -> dict:
    "Train one (view, row, seed) as maht_train does, score its best validation epoch on val, test and fresh."
    import numpy as np, torch
    from maht_net.config import TrainConfig, MODEL_PRESETS, load_checkpoint
    from maht_net.train import train
    from maht_net.evaluate import evaluate_checkpoint
    cfg = TrainConfig(view=view, data_dir=str(data), image_size=a.image_size, batch_size=a.batch_size, epochs=a.epochs,
                      **{**MODEL_PRESETS[a.model_size], **ROWS[row][1]}, seed=seed, split_seed=a.split_seed,
                      output_dir=str(runs_dir), experiment_name=run_name(view, row, seed), patience=a.epochs,
                      num_workers=0, device=a.device)
    c0, w0 = time.process_time(), time.time()
    learn = train(cfg, quiet=True, progress=False)
    cpu, wall = time.process_time() - c0, time.time() - w0
    best = cfg.run_dir/'best.pth'
    ck = load_checkpoint(best)
    h = json.loads((cfg.run_dir/'history.json').read_text())
    out = dict(view=view, row=row, seed=seed, setup=setup(a), config=cfg.to_dict(), best_epoch=ck['best_epoch'],
               s_per_epoch=float(np.mean([r['seconds'] for r in h])), cpu_s=cpu, wall_s=wall,
               params=sum(p.numel() for p in learn.model.parameters()), device=str(learn.dls.device),
               threads=torch.get_num_threads(), finished=datetime.now().isoformat(timespec='seconds'))
    for name, root, split in (('val', data, 'val'), ('test', data, 'test'), ('fresh', fresh, 'all')):
        out[name] = scores(evaluate_checkpoint(best, data_dir=root, split=split, device=a.device, log=None), root)
    return out


# ---------------------------------------------------------------- the report: tables and paired intervals
def film_table(r: dict, name: str):
    "Per-film arrays of one result on one scoring set: mean error (mm), edges identified (share), any edge off."
    import numpy as np
    s = r[name]
    err, ident = np.asarray(s['err_mm']), np.asarray(s['edges_identified'], bool)
    return dict(stems=s['stems'], mm=err.mean(1), ident=ident.mean(1), off=~ident.all(1), err=err)


def row_numbers(results: list, name: str) -> dict:
    "One row of a table: each number mean +- sd over the seeds' results."
    import numpy as np
    per = []
    for r in results:
        f = film_table(r, name)
        per.append(dict(mean=f['err'].mean(), median=float(np.median(f['err'])), sdr2=(f['err'] <= 2).mean() * 100,
                        sdr4=(f['err'] <= 4).mean() * 100, ident=f['ident'].mean() * 100, off=int(f['off'].sum()),
                        films=len(f['mm']), epoch=r['best_epoch'], s_epoch=r['s_per_epoch']))
    return {k: (float(np.mean([p[k] for p in per])), float(np.std([p[k] for p in per], ddof=1)) if len(per) > 1 else
                float('nan')) for k in per[0]}


def pm(m_sd, digits=2): m, sd = m_sd; return f"{m:.{digits}f}" + ('' if sd != sd else f" ± {sd:.{digits}f}")


def table(groups: dict, name: str) -> str:
    "A Markdown table, one line per (view, row), numbers over seeds."
    head = ('| view | row | seeds | films | mean mm | median mm | SDR 2 mm % | SDR 4 mm % | level id. % '
            '| films with an edge off its level | best epoch | s / epoch |')
    lines = [head, '|' + '---|' * (head.count('|') - 1)]
    for (view, row), results in groups.items():
        n = row_numbers(results, name)
        lines.append(f"| {view} | {row} | {len(results)} | {n['films'][0]:.0f} | {pm(n['mean'])} | {pm(n['median'])} "
                     f"| {pm(n['sdr2'], 1)} | {pm(n['sdr4'], 1)} | {pm(n['ident'], 2)} | {pm(n['off'], 1)} "
                     f"| {pm(n['epoch'], 1)} | {pm(n['s_epoch'], 1)} |")
    return '\n'.join(lines)


def paired(a_results: list, b_results: list, name: str, draws: int = 10_000, seed: int = 0) -> dict:
    """Paired per-film bootstrap of (a - b): each film's numbers averaged over the seeds of each model, films resampled
    with replacement (the same films for both), 95% percentile interval of the mean difference."""
    import numpy as np
    fa, fb = ([film_table(r, name) for r in rs] for rs in (a_results, b_results))
    stems = fa[0]['stems']
    if any(f['stems'] != stems for f in fa + fb): raise ValueError(f"{name}: the results were scored on other films")
    out = {}
    for key in ('mm', 'ident'):
        d = np.mean([f[key] for f in fa], 0) - np.mean([f[key] for f in fb], 0)
        d = d * (100 if key == 'ident' else 1)
        idx = np.random.default_rng(seed).integers(0, len(d), (draws, len(d)))
        boot = d[idx].mean(1)
        out[key] = dict(diff=float(d.mean()), low=float(np.percentile(boot, 2.5)), high=float(np.percentile(boot, 97.5)))
    out['off'] = [float(np.mean([f['off'].sum() for f in fs])) for fs in (fa, fb)]
    out['films'] = len(stems)
    return out


def choose(groups: dict, view_rows) -> str:
    "The MAHT-Net variant with the lowest mean validation error over every view and seed (validation only)."
    import numpy as np
    cands = sorted({row for _, row in groups if row.startswith('maht')})
    score = {row: np.mean([row_numbers(groups[(v, row)], 'val')['mean'][0] for v in view_rows if (v, row) in groups])
             for row in cands}
    return min(score, key=score.get), score


def exact_numbers(groups: dict, name: str) -> dict:
    """On a clinical set, per (view, row): the error against the exact corners (mean +- sd over seeds) beside the
    annotators' own error on the same films, and level identification against the exact corners, on the patients with
    common anatomy and on those with transitional anatomy apart."""
    import numpy as np
    out = {}
    for (view, row), results in groups.items():
        per = []
        for r in results:
            s = r[name]
            err, ident = np.asarray(s['exact_err_mm']), np.asarray(s['exact_edges_identified'], bool)
            tr = np.array([bool(k) for k in s['transitional']])
            per.append(dict(exact_mm=err.mean(), exact_median_mm=float(np.median(err)),
                            annotation_mm=float(np.asarray(s['annotation_err_mm']).mean()),
                            ident_common=ident[~tr].mean() * 100, ident_transitional=ident[tr].mean() * 100 if tr.any() else float('nan'),
                            off_common=int((~ident[~tr].all(1)).sum()), off_transitional=int((~ident[tr].all(1)).sum()),
                            films_common=int((~tr).sum()), films_transitional=int(tr.sum())))
        out[f"{view} {row}"] = {k: (float(np.mean([p[k] for p in per])), float(np.std([p[k] for p in per], ddof=1))
                                    if len(per) > 1 else float('nan')) for k in per[0]}
    return out


def exact_markdown(ex: dict) -> str:
    "The clinical table: against the exact corners, the annotators' own error, level identification apart."
    lines = ["## Against the exact corners (fresh set)\n",
             "| view | row | mean mm (exact) | median mm (exact) | the annotations' own error, mm | level id. %, common anatomy "
             "| level id. %, transitional | films with an edge off its level (common / transitional) | films (common / transitional) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, n in ex.items():
        view, row = key.split(' ', 1)
        lines.append(f"| {view} | {row} | {pm(n['exact_mm'])} | {pm(n['exact_median_mm'])} | {n['annotation_mm'][0]:.2f} "
                     f"| {pm(n['ident_common'])} | {pm(n['ident_transitional'])} | {pm(n['off_common'], 1)} / "
                     f"{pm(n['off_transitional'], 1)} | {n['films_common'][0]:.0f} / {n['films_transitional'][0]:.0f} |")
    return '\n'.join(lines)


def report(a, out: Path) -> str:
    results = [json.loads(p.read_text()) for p in sorted((out/'runs').glob('*.json'))]
    results = [r for r in results if r['setup'] == setup(a) and r['view'] in a.views and r['row'] in a.rows
               and r['seed'] in a.seeds]
    if not results: return 'no results yet'
    views = [v for v in a.views if any(r['view'] == v for r in results)]
    groups = {}
    for v in views:
        for row in ROWS:
            rs = sorted((r for r in results if (r['view'], r['row']) == (v, row)), key=lambda r: r['seed'])
            if rs: groups[(v, row)] = rs
    s = setup(a)
    d = a.difficulty
    md = [f"# Heads and variants on the {d} synthetic set\n",
          f"{s['patients']} {d} patients (data seed {s['data_seed']}, patient split seed {s['split_seed']}), "
          f"{s['model_size']} preset, {s['image_size']} px, {s['epochs']} epochs, batch {s['batch_size']}; fresh set: "
          f"{s['fresh_patients']} new {d} patients (data seed {s['fresh_seed']}), every film. Errors in the films' "
          f"true millimetres ({re.sub(r'[^ ]*/', '', results[0]['val']['spacing_source'])} of each set). Each number: mean ± sd "
          f"over the training seeds.\n",
          "## Validation (every row; the choices are made here)\n", table(groups, 'val'), '']
    chosen, score = choose(groups, views)
    md += [f"Chosen MAHT-Net variant: **{chosen}** (mean validation error over views and seeds: " +
           ', '.join(f"{r} {v:.3f} mm" for r, v in score.items()) + ").\n"]
    final = {k: v for k, v in groups.items() if k[1] in (chosen, 'plain')}
    done, wanted = len(results), len(a.views) * len(a.rows) * len(a.seeds)
    if done < wanted:      # a choice on part of the grid would be read again once it is whole
        md += [f"Test and fresh numbers are withheld until the grid is whole ({done} of {wanted} runs done).\n"]
        text = '\n'.join(md) + '\n'
        (out/'report.md').write_text(text)
        return text
    for name, title in (('test', 'Test split (patients never seen)'), ('fresh', 'Fresh set (new patients, never tuned on)')):
        md += [f"## {title}\n", table(final, name), '']
    md += ["## MAHT-Net against the plain network, paired over films\n",
           "| view | scored on | seeds (each) | films | difference in mean error, mm (95% CI) "
           "| difference in level id., points (95% CI) | films with an edge off its level (MAHT-Net / plain) |",
           "|---|---|---|---|---|---|---|"]
    comparisons = []
    for v in views:
        if (v, chosen) not in groups or (v, 'plain') not in groups: continue
        ma, pl = groups[(v, chosen)], groups[(v, 'plain')]
        common = sorted({r['seed'] for r in ma} & {r['seed'] for r in pl})
        ma, pl = [r for r in ma if r['seed'] in common], [r for r in pl if r['seed'] in common]
        for name in ('test', 'fresh'):
            c = paired(ma, pl, name, a.draws)
            comparisons.append(dict(view=v, set=name, seeds=common, **c))
            md.append(f"| {v} | {name} | {len(common)} | {c['films']} | {c['mm']['diff']:+.3f} "
                      f"({c['mm']['low']:+.3f}, {c['mm']['high']:+.3f}) | {c['ident']['diff']:+.2f} "
                      f"({c['ident']['low']:+.2f}, {c['ident']['high']:+.2f}) | {c['off'][0]:.1f} / {c['off'][1]:.1f} |")
    exact = {}
    if 'exact_err_mm' in results[0]['fresh']:
        exact = exact_numbers(final, 'fresh')
        md += ['', exact_markdown(exact)]
    text = '\n'.join(md) + '\n'
    (out/'report.md').write_text(text)
    (out/'report.json').write_text(json.dumps(dict(setup=s, chosen=chosen, validation_score=score,
                                                   comparisons=comparisons, exact=exact), indent=1))
    return text


def main(argv=None):
    a = parse_args(argv)
    out = Path(a.out); (out/'runs').mkdir(parents=True, exist_ok=True)
    if not a.report:
        warnings.simplefilter('ignore')
        import torch
        if a.threads: torch.set_num_threads(a.threads)
        from maht_net.synthetic import synthetic_root
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        with open(out/'commands.txt', 'a') as f:
            f.write(f"{datetime.now():%Y-%m-%d %H:%M} commit {commit or '?'}, {torch.get_num_threads()} threads: "
                    f"python bench/accuracy.py {shlex.join(sys.argv[1:] if argv is None else argv)}\n")
        t0 = time.time()
        data = synthetic_root(a.patients, seed=a.data_seed, max_size=a.max_size, difficulty=a.difficulty)
        fresh = synthetic_root(a.fresh_patients, seed=a.fresh_seed, max_size=a.max_size, difficulty=a.difficulty)
        print(f"{a.difficulty} set {data}, fresh set {fresh} ({time.time() - t0:.0f} s to find or make)", flush=True)
        runs_dir = Path(tempfile.mkdtemp(prefix='maht_accuracy_'))
        for seed in a.seeds:                     # seed by seed: a partial grid already has every row once
            for view in a.views:
                for row in a.rows:
                    path = out/'runs'/f"{run_name(view, row, seed)}.json"
                    if path.exists() and json.loads(path.read_text())['setup'] == setup(a):
                        print(f"{path.name}: done before, skipped", flush=True); continue
                    t1 = time.time()
                    r = train_one(a, view, row, seed, data, fresh, runs_dir)
                    path.write_text(json.dumps(r))
                    v = row_numbers([r], 'val')
                    print(f"{path.name}: best epoch {r['best_epoch']}, validation {v['mean'][0]:.3f} mm, level id. "
                          f"{v['ident'][0]:.2f}% ({time.time() - t1:.0f} s)", flush=True)
    print(report(a, out))


if __name__ == '__main__': main()
