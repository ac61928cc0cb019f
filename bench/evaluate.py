#!/usr/bin/env python
"""Evaluation throughput on the CPU (or another device): films per second through `evaluate_checkpoint` (cached,
letterboxed inputs, batched model, vectorised decoding and letterbox inversion), the model's share of it, and the
time of every metric of a report for a BUU-LSPINE-sized set of corners.

    python bench/evaluate.py                               # full MAHT-Net (EfficientNetV2-S), 512 px, AP, CPU
    python bench/evaluate.py --preset tiny --image-size 128 --view LA --tta
"""
import argparse, tempfile, time, warnings
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--view', default='AP'); ap.add_argument('--image-size', type=int, default=512)
    ap.add_argument('--preset', default='full', choices=['full', 'small', 'tiny'])
    ap.add_argument('--films', type=int, default=16, help='synthetic patients (one film per view each)')
    ap.add_argument('--batch-size', type=int, default=8); ap.add_argument('--device', default='cpu')
    ap.add_argument('--tta', action='store_true'); ap.add_argument('--threads', type=int, default=None)
    a = ap.parse_args()
    import numpy as np, torch
    if a.threads: torch.set_num_threads(a.threads)
    warnings.simplefilter('ignore')
    from maht_net.config import TrainConfig, MODEL_PRESETS, save_model
    from maht_net.model import create_maht_net
    from maht_net.synthetic import write_synthetic_dataset
    from maht_net.predict import Predictor
    from maht_net.metrics import Evaluation
    from maht_net.evaluate import evaluate_checkpoint, evaluation_metrics
    tmp = Path(tempfile.mkdtemp(prefix='maht_bench_eval_'))
    data = write_synthetic_dataset(tmp/'synth', n_patients=a.films, seed=0, max_size=1024)
    cfg = TrainConfig(view=a.view, data_dir=str(data), image_size=a.image_size,
                      **{**MODEL_PRESETS[a.preset], 'pretrained': 'none'},   # speed needs no trained weights
                      heatmap_sigma=4.0 * a.image_size / 512, output_dir=str(tmp), experiment_name='bench')
    torch.manual_seed(0)
    model = create_maht_net(**cfg.model_config())
    ck = tmp/'bench.pth'
    save_model(ck, model, cfg)
    pr = Predictor.from_checkpoint(ck, a.device, a.tta, a.batch_size)
    print(f"{a.preset} MAHT-Net ({cfg.backbone}), {a.view}, {a.image_size} px, batch {a.batch_size}, device {pr.device}, "
          f"torch threads {torch.get_num_threads()}{', flip averaging' if pr.tta else ''}")
    evaluate_checkpoint(pr, split='all', max_items=2)                       # warm-up, and fills the image cache
    evaluate_checkpoint(pr, split='all')
    t0 = time.perf_counter(); ev = evaluate_checkpoint(pr, split='all'); dt = time.perf_counter() - t0
    x = torch.rand(a.batch_size, 1, a.image_size, a.image_size)
    t1 = time.perf_counter()
    with torch.no_grad(): pr.model(x.to(pr.device)).float().cpu()
    dm = time.perf_counter() - t1
    print(f"evaluate_checkpoint: {len(ev)} films in {dt:.2f} s = {len(ev) / dt:.2f} films/s "
          f"(prediction loop {ev.meta['timing']['films_per_s']:.2f} films/s; model forward alone "
          f"{a.batch_size / dm:.2f} films/s)")
    rng = np.random.default_rng(0)
    for view, K, E in (('AP', 20, 10), ('LA', 22, 11)):
        t = rng.uniform(0, 2500, (3600, K, 2))
        e = Evaluation(view, t + rng.normal(0, 10, t.shape), t, labels=rng.integers(0, 2, (3600, E)) * (1 if view == 'AP' else 3))
        t0 = time.perf_counter(); evaluation_metrics(e); dt = time.perf_counter() - t0
        print(f"evaluation_metrics, 3600 {view} films ({3600 * K} keypoints): {dt * 1000:.0f} ms")

if __name__ == '__main__':
    main()
