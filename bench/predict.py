#!/usr/bin/env python
"""How fast does `maht_predict` run on a CPU, and in how much memory: PyTorch eager against onnxruntime.

    python bench/predict.py                      # small and full presets at 512 px, 2 threads, 24 films
    python bench/predict.py --films 48 --threads 4

For each preset, one process builds the model (untrained: speed does not depend on the weights) at the input size,
saves it as a checkpoint and exports it to ONNX; then each backend runs in a fresh process of its own, which times
`predict_films` end to end on the first AP films of the default synthetic set (full-size JPEGs: read, letterbox,
model, decode, write a CSV and an overlay per film) after one warm-up batch, and the network with decoding alone on
letterboxed batches. It reports films per second and the process's peak resident memory; the table goes to
`bench/results/predict.md` and the numbers to `predict.json`.
"""
import argparse, json, resource, subprocess, sys, tempfile, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(preset: str, backend: str, image_size: int, threads: int, films: int, batch: int, work: Path) -> dict:
    "Time one configuration in this process; `export` only writes the checkpoint and its ONNX file into `work`."
    warnings.simplefilter('ignore')
    import torch
    torch.set_num_threads(threads)
    from maht_net.config import TrainConfig, MODEL_PRESETS, save_model
    from maht_net.model import create_maht_net
    from maht_net.predict import Predictor, predict_films
    from maht_net.synthetic import synthetic_root
    tmp = Path(tempfile.mkdtemp())
    cfg = TrainConfig(view='AP', image_size=image_size, **{**MODEL_PRESETS[preset], 'pretrained': 'none'})
    if backend == 'export':                      # apart, so that the exporter's memory is not counted as prediction's
        from maht_net.export import export_onnx
        torch.manual_seed(0)
        save_model(work/'run.pth', create_maht_net(**cfg.model_config()), cfg)
        return dict(export_onnx(work/'run.pth', work/'model.onnx'), path=None, metadata=None)
    if backend == 'onnxruntime': pr = Predictor.from_onnx(work/'model.onnx', batch_size=batch, threads=threads)
    else: pr = Predictor.from_checkpoint(work/'run.pth', 'cpu', batch_size=batch)
    paths = sorted((synthetic_root()/'AP').glob('*.jpg'))[:films + batch]
    predict_films(pr, paths[:batch], tmp/'warm', 0.15, log=None)                      # warm-up: first-call costs
    t0 = time.perf_counter()
    res = predict_films(pr, paths[batch:], tmp/'out', 0.15, log=None)
    s = time.perf_counter() - t0
    from maht_net.data import load_image
    x, _ = pr.letterbox_batch([load_image(p) for p in paths[:batch]])
    t1 = time.perf_counter()
    for _ in range(3): pr.predict_input(x)
    model_s = (time.perf_counter() - t1) / (3 * batch)                  # the network and decoding alone, per film
    return dict(preset=preset, backend=backend, image_size=image_size, threads=threads, films=len(res['films']),
                seconds=s, films_per_s=len(res['films']) / s, model_films_per_s=1 / model_s, peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                params=int(sum(p.numel() for p in create_maht_net(**cfg.model_config()).parameters())))



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--presets', nargs='+', default=['small', 'full'])
    ap.add_argument('--image-size', type=int, default=512)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--films', type=int, default=24)
    ap.add_argument('--batch-size', type=int, default=4)
    ap.add_argument('--one', nargs=2, metavar=('PRESET', 'BACKEND'), help=argparse.SUPPRESS)
    ap.add_argument('--work', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(one(*a.one, a.image_size, a.threads, a.films, a.batch_size, Path(a.work)), default=str)); return
    rows = []
    for preset in a.presets:
        work = tempfile.mkdtemp()
        for backend in ('export', 'pytorch', 'onnxruntime'):
            r = subprocess.run([sys.executable, __file__, '--one', preset, backend, '--image-size', str(a.image_size),
                                '--threads', str(a.threads), '--films', str(a.films), '--batch-size', str(a.batch_size),
                                '--work', work], capture_output=True, text=True)
            if r.returncode: sys.exit(f"{preset} {backend} failed:\n{r.stderr[-3000:]}")
            if backend == 'export': continue
            rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
            print(f"{preset} {backend}: {rows[-1]['films_per_s']:.2f} films/s, peak {rows[-1]['peak_rss_mb']:.0f} MB", flush=True)
    import torch, onnxruntime
    md = [f"# maht_predict on the CPU: PyTorch eager against onnxruntime\n",
          f"{a.films} full-size AP films of the default synthetic set, {a.image_size} px input, batch {a.batch_size}, "
          f"{a.threads} threads, end to end (read, letterbox, model, decode, CSV and overlay); torch {torch.__version__}, "
          f"onnxruntime {onnxruntime.__version__}.\n",
          '| preset | parameters | backend | films / s, end to end | speed-up | films / s, network and decoding | speed-up | peak memory, MB |',
          '|---|---|---|---|---|---|---|---|']
    for r in rows:
        base = next(x for x in rows if x['preset'] == r['preset'] and x['backend'] == 'pytorch')
        md.append(f"| {r['preset']} | {r['params'] / 1e6:.1f} M | {r['backend']} | {r['films_per_s']:.2f} | "
                  f"{r['films_per_s'] / base['films_per_s']:.2f}x | {r['model_films_per_s']:.2f} | "
                  f"{r['model_films_per_s'] / base['model_films_per_s']:.2f}x | {r['peak_rss_mb']:.0f} |")
    out = ROOT/'bench'/'results'; out.mkdir(parents=True, exist_ok=True)
    (out/'predict.md').write_text('\n'.join(md) + '\n'); (out/'predict.json').write_text(json.dumps(rows, indent=1))
    print('\n'.join(md))


if __name__ == '__main__': main()
