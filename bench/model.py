"""MAHT-Net speed and memory: heatmap decoding time, and the full model's forward/backward time and peak memory.

    python bench/model.py [--size 512] [--batch 4] [--stride 4] [--steps 3] [--threads N] [--skip-model]

1. Decoding (`decode_heatmaps`, argmax + DARK) of a batch of 8 x 22 heatmaps of 128 x 128 (512 px input, stride 4),
   median of 50 calls; also argmax alone and the windowed soft-argmax that the loss uses.
2. The full model (EfficientNetV2-S, d = 256, stride 4) at `size` px, batch `batch`, in training mode: forward,
   backward (with `MAHTNetLoss`) and AdamW step times (median of `steps` after one warm-up step), and the process's
   peak resident memory (ru_maxrss)."""
import argparse, resource, time, warnings
import numpy as np
import torch

from maht_net.model import create_maht_net
from maht_net.codec import HeatmapCodec, decode_heatmaps, soft_argmax
from maht_net.loss import MAHTNetLoss

def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def timed(fn, n):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return float(np.median(ts))

def bench_decode(n=50):
    hm = torch.randn(8, 22, 128, 128)
    for _ in range(5): decode_heatmaps(hm, 4.0, stride=4)
    dark = timed(lambda: decode_heatmaps(hm, 4.0, dark=True, stride=4), n)
    arg = timed(lambda: decode_heatmaps(hm, 4.0, dark=False, stride=4), n)
    soft = timed(lambda: soft_argmax(hm, radius=3), n)
    print(f"decode 8 x 22 maps of 128 x 128 (CPU, {torch.get_num_threads()} threads): argmax + DARK {dark * 1e3:.2f} ms, "
          f"argmax only {arg * 1e3:.2f} ms, soft-argmax (window 7 x 7) {soft * 1e3:.2f} ms")

def bench_model(size, batch, stride, steps):
    base = rss_mb()
    torch.manual_seed(0)
    model = create_maht_net('LA', stride=stride)
    n_params = sum(p.numel() for p in model.parameters())
    loss_func = MAHTNetLoss(codec=HeatmapCodec(stride, 4.0 * size / 512), margin=5.0 * size / 512)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)
    x = torch.rand(batch, 1, size, size)
    y = torch.rand(batch, 22, 2) * (size * 0.6) + size * 0.2
    model.train()
    fwd, bwd, stp = [], [], []
    for i in range(steps + 1):
        t0 = time.perf_counter(); opt.zero_grad(); loss = loss_func(model(x), y)
        t1 = time.perf_counter(); loss.backward()
        t2 = time.perf_counter(); opt.step(); t3 = time.perf_counter()
        if i: fwd.append(t1 - t0); bwd.append(t2 - t1); stp.append(t3 - t2)
    f, b, s = (float(np.median(v)) for v in (fwd, bwd, stp))
    print(f"full model (efficientnet_v2_s, {n_params / 1e6:.1f} M parameters, stride {stride}), {size} px, batch {batch}, "
          f"CPU {torch.get_num_threads()} threads: forward+loss {f:.2f} s, backward {b:.2f} s, AdamW step {s:.2f} s, "
          f"total {f + b + s:.2f} s per step; peak RSS {rss_mb():.0f} MB (process before the model: {base:.0f} MB)")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--size', type=int, default=512)
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--stride', type=int, default=4)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--skip-model', action='store_true')
    a = p.parse_args()
    warnings.filterwarnings('ignore', message='.*no pretrained weights.*')
    if a.threads: torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    bench_decode()
    if not a.skip_model: bench_model(a.size, a.batch, a.stride, a.steps)
