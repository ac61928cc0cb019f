#!/usr/bin/env python
"""Accuracy with ablations on the hard synthetic set: do the transformer bridge and the vertebral queries earn their cost?

    python bench/accuracy.py                          # LA, 200 hard patients, small preset at 256 px, 12 epochs
    python bench/accuracy.py --view AP --epochs 20    # another view, a longer schedule
    python bench/accuracy.py --rows mean plain        # some rows only

Every row trains on the same films (one hard set, one patient split, one seed), at the same image size, for the same
epochs, with the same augmentation and schedule (warmup + cosine, `maht_train`'s defaults for the preset), and is
scored on the test split (patients never seen) from its best validation epoch:

    mean     the mean shape: the training films' mean letterboxed corners, put on every test film
    plain    a plain heatmap network: MAHT-Net's backbone and decoder, a 1x1 convolution to K heatmaps (PlainHeatmapNet)
    no_anat  MAHT-Net without the anatomical term of the loss
    maht     MAHT-Net

Columns: mean and median radial error (px in the films' own pixels, and mm), success detection rates at 2 and 4 mm,
the share of edges on their own level, the films with every edge on its level, seconds per training epoch and the CPU
seconds of the whole training (process time: all threads). Prints one Markdown table; `--out` also writes it and a JSON.
"""
import argparse, json, tempfile, time, warnings
from pathlib import Path

ROWS = {'mean': 'mean shape', 'plain': 'plain heatmap net', 'no_anat': 'MAHT-Net, no anatomical term', 'maht': 'MAHT-Net'}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--view', default='LA', choices=['AP', 'LA'])
    ap.add_argument('--patients', type=int, default=200, help='patients in the hard set (default 200)')
    ap.add_argument('--data-seed', type=int, default=42, help='seed of the hard set')
    ap.add_argument('--max-size', type=int, default=1024, help='longer side of the generated films (default 1024 px)')
    ap.add_argument('--model-size', default='small', choices=['tiny', 'small', 'full'])
    ap.add_argument('--image-size', type=int, default=256)
    ap.add_argument('--epochs', type=int, default=12)
    ap.add_argument('--batch-size', type=int, default=4)
    ap.add_argument('--seed', type=int, default=42, help='training seed: the same for every row')
    ap.add_argument('--rows', nargs='+', default=list(ROWS), choices=list(ROWS))
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    ap.add_argument('--out', default=None, help='folder for accuracy.md and accuracy.json')
    a = ap.parse_args()
    warnings.simplefilter('ignore')
    import numpy as np, torch
    if a.threads: torch.set_num_threads(a.threads)
    from fastai.torch_core import set_seed
    from maht_net.synthetic import synthetic_root
    from maht_net.dataloaders import spine_dataloaders
    from maht_net.config import TrainConfig, MODEL_PRESETS, load_checkpoint
    from maht_net.model import create_maht_net, PlainHeatmapNet
    from maht_net.predict import Predictor, invert_letterboxes
    from maht_net.learner import maht_learner
    from maht_net.train import run_callbacks
    from maht_net.metrics import Evaluation
    from maht_net.evaluate import evaluate_checkpoint, summary_table, markdown_table

    t0 = time.time()
    data = synthetic_root(a.patients, seed=a.data_seed, max_size=a.max_size, difficulty='hard')
    print(f"hard set: {data} ({time.time() - t0:.0f} s to find or make)", flush=True)
    runs = Path(tempfile.mkdtemp(prefix='maht_accuracy_'))
    base = dict(view=a.view, data_dir=str(data), image_size=a.image_size, batch_size=a.batch_size, epochs=a.epochs,
                **MODEL_PRESETS[a.model_size], seed=a.seed, output_dir=str(runs), patience=a.epochs, num_workers=0)

    def dataloaders(cfg):
        set_seed(cfg.seed, reproducible=True)
        return spine_dataloaders(data, cfg.view, image_size=cfg.image_size, bs=cfg.batch_size, seed=cfg.seed,
                                 num_workers=0, progress=False, log=None)

    def fit(name, cfg, model_cls):
        "Train one row as maht_train would (same callbacks), return its best-epoch Predictor and its timings."
        dls = dataloaders(cfg)
        model = model_cls(**cfg.model_config())
        learn = maht_learner(dls, cfg, model, cbs=run_callbacks(cfg, quiet=True))
        c0, w0 = time.process_time(), time.time()
        with learn.no_bar(), learn.no_logging(): learn.fit(cfg.epochs)
        cpu, wall = time.process_time() - c0, time.time() - w0
        h = learn.train_state.history
        ck = load_checkpoint(cfg.run_dir/'best.pth')
        model.load_state_dict(ck['model'])
        print(f"{name}: {len(h)} epochs in {wall:.0f} s wall, {cpu:.0f} s CPU; best epoch {ck['best_epoch']}, "
              f"validation {ck['best']:.2f} mm", flush=True)
        return Predictor(model, cfg, 'cpu', meta=ck['meta']), dict(
            s_per_epoch=float(np.mean([r['seconds'] for r in h])), cpu_s=cpu, best_epoch=ck['best_epoch'])

    results, evs = {}, {}
    for row in [r for r in ROWS if r in a.rows and r != 'mean']:
        cfg = TrainConfig(**base, experiment_name=row, **({'anatomical_weight': 0.0} if row == 'no_anat' else {}))
        pr, t = fit(row, cfg, PlainHeatmapNet if row == 'plain' else create_maht_net)
        evs[row] = evaluate_checkpoint(pr, split='test', log=None)
        results[row] = t
    if 'mean' in a.rows:
        cfg = TrainConfig(**base, experiment_name='mean')
        dls = dataloaders(cfg)
        mean = torch.stack(list(dls.train_ds.keypoints)).double().mean(0).numpy()   # letterboxed input pixels
        ref = next(iter(evs.values()), None) or evaluate_checkpoint(
            Predictor(create_maht_net(**cfg.model_config()), cfg, 'cpu'), split='test', log=None)
        pred = invert_letterboxes(np.broadcast_to(mean, (len(ref), *mean.shape)), ref.dataset.letterboxes)
        evs['mean'] = Evaluation(a.view, pred, ref.true, spacing=ref.spacing, labels=ref.labels, items=ref.items)
        results['mean'] = dict(s_per_epoch=0.0, cpu_s=0.0, best_epoch=0)

    order = [r for r in ROWS if r in evs]
    table = summary_table({ROWS[r]: evs[r] for r in order})
    cols = ['films', 'mean px', 'median px', 'mean mm', 'median mm', 'SDR 2 mm %', 'SDR 4 mm %', 'level id. %',
            'films all levels %']
    table = table[[c for c in cols if c in table.columns]].copy()
    table['s / epoch'] = [round(results[r]['s_per_epoch'], 1) for r in order]
    table['CPU s'] = [round(results[r]['cpu_s']) for r in order]
    head = (f"{a.view}, {a.patients} hard patients (test split: {len(next(iter(evs.values())))} films), "
            f"{a.model_size} preset, {a.image_size} px, {a.epochs} epochs, batch {a.batch_size}, seed {a.seed}, "
            f"{torch.get_num_threads()} threads")
    md = head + '\n\n' + markdown_table(table, digits=2)
    print(md, flush=True)
    if a.out:
        out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
        (out/f'accuracy_{a.view}.md').write_text(md + '\n')
        (out/f'accuracy_{a.view}.json').write_text(json.dumps(dict(setup=vars(a), rows=results,
                                                                   table=table.reset_index().to_dict('records')), indent=1))
    print(f"total {time.time() - t0:.0f} s")


if __name__ == '__main__': main()
