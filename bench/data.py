#!/usr/bin/env python
"""Data pipeline throughput: images per second per core for a training epoch (cached images, augmentation on),
beside the model's training throughput on the same machine, so one can see which is the bottleneck.

    python bench/data.py                      # AP, 512 px, synthetic set, 1 core
    python bench/data.py --view LA --data-dir data/buu-lspine --threads 2
"""
import argparse, os, time, tempfile, warnings
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--view', default='AP'); ap.add_argument('--data-dir', default=None)
    ap.add_argument('--image-size', type=int, default=512); ap.add_argument('--bs', type=int, default=4)
    ap.add_argument('--epochs', type=int, default=3); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--model-steps', type=int, default=3, help='train steps timed for the model (0 to skip)')
    a = ap.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    from maht_net.dataloaders import spine_dataloaders
    from maht_net.films import ImageCache
    cache_dir = tempfile.mkdtemp(prefix='maht_bench_')
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        dls = spine_dataloaders(a.data_dir, a.view, image_size=a.image_size, bs=a.bs, num_workers=0, device='cpu',
                                cache_dir=cache_dir, progress=False)
    n_cached = len(dls.train_ds) + len(dls.valid_ds)
    t_cache = time.perf_counter() - t0
    print(f"dataset: {dls.root} ({'SYNTHETIC' if dls.synthetic else 'real'}), view {a.view}, {a.image_size} px, "
          f"train {len(dls.train_ds)} / valid {len(dls.valid_ds)} images, torch threads {a.threads}")
    print(f"cache build (decode + letterbox, once): {t_cache:.2f} s for {n_cached} images = {n_cached / t_cache:.1f} img/s")
    n = 0; t0 = time.perf_counter()
    for _ in range(a.epochs):
        for b in dls.train: n += len(b[0])
    dt = time.perf_counter() - t0
    print(f"training epochs from the cache, augmented: {n} images in {dt:.2f} s = {n / dt:.1f} img/s "
          f"= {n / dt / a.threads:.1f} img/s per core")
    if a.model_steps:
        try:
            from maht_net.model import create_maht_net
            from maht_net.loss import MAHTNetLoss
            from maht_net.codec import HeatmapCodec
        except ImportError as e:
            print(f"model throughput: skipped ({e})"); return
        model = create_maht_net(a.view); loss_fn = MAHTNetLoss(codec=HeatmapCodec(getattr(model, 'stride', 4)))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        xb, kb = dls.train.one_batch()[:2]
        def step():
            opt.zero_grad(); loss = loss_fn(model(xb), kb); loss.backward(); opt.step()
        step()
        t0 = time.perf_counter()
        for _ in range(a.model_steps): step()
        dt = time.perf_counter() - t0
        print(f"model training throughput (same machine, {a.threads} thread(s)): {a.model_steps * len(xb) / dt:.2f} img/s")

if __name__ == '__main__': main()
