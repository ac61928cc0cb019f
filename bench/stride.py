"""Heatmap stride 1 vs 4: training speed and keypoint accuracy of MAHT-Net with the light backbone on synthetic films.

    python bench/stride.py [--strides 4 1] [--steps 300] [--size 256] [--n-train 16] [--n-val 8] [--threads 1]

For each stride the same model (same seed) is trained with AdamW (lr 1e-3) and `MAHTNetLoss` on `n-train` synthetic
AP films letterboxed to `size` px (batches of 4 in a fixed order), then evaluated (batch-norm statistics re-estimated on
the training films, argmax + DARK decoding) on the training films and on `n-val` unseen ones. `sigma` and the
anatomical margin scale with the size (4.0 and 5.0 px at 512). Prints one line per stride and a summary table."""
import argparse, time, warnings
import numpy as np
import torch

from maht_net.films import letterbox
from maht_net.synthetic import synth_sample
from maht_net.model import create_maht_net, LIGHT_CONFIG
from maht_net.codec import HeatmapCodec, decode_heatmaps
from maht_net.loss import MAHTNetLoss

def films(seeds, size, view='AP'):
    xs, ys = [], []
    for s in seeds:
        d = synth_sample(view, int(s), max_size=2 * size)
        img, t = letterbox(d['image'], size)
        xs.append(torch.from_numpy(img)[None].float() / 255); ys.append(torch.as_tensor(t.apply(d['keypoints']), dtype=torch.float32))
    return torch.stack(xs), torch.stack(ys)

def recalibrate_bn(model, x, bs=4):
    "Re-estimate batch-norm running statistics on `x` (cumulative average), then return the model in eval mode."
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns: m.reset_running_stats(); m.momentum = None
    model.train()
    with torch.no_grad():
        for i in range(0, len(x), bs): model(x[i:i + bs])
    for m, mo in zip(bns, saved): m.momentum = mo
    return model.eval()

def mean_error(model, x, y, sigma, stride, bs=4):
    with torch.no_grad():
        kp = torch.cat([decode_heatmaps(model(x[i:i + bs]), sigma, stride=stride)[0] for i in range(0, len(x), bs)])
    return (kp - y).norm(dim=-1).mean().item()

def run(stride, xt, yt, xv, yv, steps, size, bs=4, lr=1e-3, seed=0):
    sigma, margin = 4.0 * size / 512, 5.0 * size / 512
    torch.manual_seed(seed)
    model = create_maht_net('AP', stride=stride, **LIGHT_CONFIG)
    loss_func = MAHTNetLoss(codec=HeatmapCodec(stride, sigma), margin=margin)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    g = torch.Generator().manual_seed(seed)
    order = torch.cat([torch.randperm(len(xt), generator=g) for _ in range(steps * bs // len(xt) + 1)])
    model.train()
    times = []
    for i in range(steps):
        idx = order[i * bs:(i + 1) * bs]
        t0 = time.perf_counter()
        opt.zero_grad(); loss = loss_func(model(xt[idx]), yt[idx]); loss.backward(); opt.step()
        times.append(time.perf_counter() - t0)
    recalibrate_bn(model, xt)
    return dict(stride=stride, step_s=float(np.median(times[5:])), train_min=sum(times) / 60,
                last_loss=float(loss.detach()), train_err_px=mean_error(model, xt, yt, sigma, stride),
                val_err_px=mean_error(model, xv, yv, sigma, stride))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--strides', type=int, nargs='+', default=[4, 1])
    p.add_argument('--steps', type=int, default=300)
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--n-train', type=int, default=16)
    p.add_argument('--n-val', type=int, default=8)
    p.add_argument('--threads', type=int, default=None, help='torch threads (default: torch decides)')
    a = p.parse_args()
    warnings.filterwarnings('ignore', message='.*no pretrained weights.*')
    if a.threads: torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    xt, yt = films(range(a.n_train), a.size)
    xv, yv = films(range(1000, 1000 + a.n_val), a.size)
    print(f"light backbone ({LIGHT_CONFIG['backbone']}), {a.size} px, batch 4, {a.steps} steps, "
          f"{a.n_train} training / {a.n_val} unseen synthetic AP films, torch threads {torch.get_num_threads()}")
    rows = []
    for s in a.strides:
        r = run(s, xt, yt, xv, yv, a.steps, a.size); rows.append(r)
        print(f"stride {s}: {r['step_s']:.3f} s/step (median), {r['train_min']:.1f} min training, loss {r['last_loss']:.4f}, "
              f"error {r['train_err_px']:.2f} px on the training films, {r['val_err_px']:.2f} px unseen", flush=True)
    print('\n| stride | s/step | training error (px) | unseen error (px) |\n|---|---|---|---|')
    for r in rows: print(f"| {r['stride']} | {r['step_s']:.3f} | {r['train_err_px']:.2f} | {r['val_err_px']:.2f} |")
