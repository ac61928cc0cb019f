#!/usr/bin/env python
"""Start of a second run over a cached dataset: how long `spine_dataloaders` (scan, splits, datasets over the image
cache) takes once every film is cached. The cache key is (resolved path, size, modification time), so a second run
only `stat`s each film; whole-file hashing, the old key, is timed beside it for comparison.

Writes N films (copies of a few JPEGs under distinct names, with their CSVs) to a temporary folder, builds the cache
once, then times the second start.

    python bench/cache.py                 # 2000 AP films of 1400 x 900 px, 512 px cache
    python bench/cache.py --n 500 --image-size 256
"""
import argparse, os, shutil, tempfile, time
from pathlib import Path

def write_films(root: Path, n: int, h: int, w: int, view: str = 'AP', n_base: int = 4):
    "N films of one view: `n_base` distinct JPEGs copied under N names, each with a valid CSV."
    import numpy as np, cv2
    from maht_net.anatomy import n_edges, VIEW_FLAG
    folder = root/view; folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w]
    bases = []
    for b in range(n_base):   # smooth films with some structure (noise would make JPEGs unrealistically large)
        img = (80 + 60 * np.sin(xx / (40 + 7 * b)) * np.cos(yy / (55 + 5 * b)) + rng.normal(0, 4, (h, w))).clip(0, 255)
        ok, buf = cv2.imencode('.jpg', img.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90]); assert ok
        bases.append(buf.tobytes())
    E = n_edges(view)
    rows = '\n'.join(f"{w * 0.35:.1f},{h * (0.1 + 0.75 * r / E):.1f},{w * 0.65:.1f},{h * (0.1 + 0.75 * r / E) + 3:.1f},0"
                     for r in range(E))
    for i in range(1, n + 1):
        stem = f"{i:04d}-{'MF'[i % 2]}-{30 + i % 50:03d}Y{VIEW_FLAG[view]}"
        (folder/f"{stem}.jpg").write_bytes(bases[i % n_base])
        (folder/f"{stem}.csv").write_text(rows)
    return [folder/f"{i:04d}-{'MF'[i % 2]}-{30 + i % 50:03d}Y{VIEW_FLAG[view]}.jpg" for i in range(1, n + 1)]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=2000, help='films')
    ap.add_argument('--height', type=int, default=1400); ap.add_argument('--width', type=int, default=900)
    ap.add_argument('--image-size', type=int, default=512)
    ap.add_argument('--keep', action='store_true', help='keep the temporary folder')
    a = ap.parse_args()
    t0 = time.perf_counter()
    from maht_net.data import scan_dataset
    from maht_net.dataloaders import spine_dataloaders
    from maht_net.films import ImageCache, SpineDataset, file_digest, CACHE_FORMAT
    t_import = time.perf_counter() - t0
    work = Path(tempfile.mkdtemp(prefix='maht_bench_cache_'))
    try:
        root, cache_dir = work/'data', work/'cache'
        t0 = time.perf_counter(); paths = write_films(root, a.n, a.height, a.width)
        print(f"{a.n} AP films of {a.width} x {a.height} px written in {time.perf_counter() - t0:.1f} s "
              f"({sum(p.stat().st_size for p in paths) / 2**20:.0f} MiB); cache format v{CACHE_FORMAT}, {a.image_size} px; "
              f"cores {os.cpu_count()}")
        t0 = time.perf_counter(); ImageCache(a.image_size, cache_dir).build(paths, progress=False)
        print(f"first run, building the cache (decode + letterbox every film): {time.perf_counter() - t0:.1f} s")

        print("second run, everything cached:")
        t0 = time.perf_counter(); scan = scan_dataset(root, 'AP'); t_scan = time.perf_counter() - t0
        assert len(scan.items) == a.n and not scan.problems, scan.report()
        t0 = time.perf_counter(); ds = SpineDataset(scan.items, a.image_size, ImageCache(a.image_size, cache_dir), progress=False)
        t_ds = time.perf_counter() - t0
        t0 = time.perf_counter(); ds[0]; ds[len(ds) - 1]; t_items = time.perf_counter() - t0
        t0 = time.perf_counter()
        dls = spine_dataloaders(root, 'AP', image_size=a.image_size, bs=4, num_workers=0, device='cpu',
                                cache_dir=cache_dir, progress=False)
        t_dls = time.perf_counter() - t0
        n_cached = len(list((cache_dir/'images').rglob('*.npy')))
        assert n_cached == a.n, f"{n_cached} cached files, expected {a.n}: the second run decoded films again"
        print(f"  import maht_net.data                          {t_import:6.2f} s")
        print(f"  scan_dataset ({a.n} films, CSVs and headers)  {t_scan:6.2f} s")
        print(f"  SpineDataset over all {a.n} cached films      {t_ds:6.2f} s")
        print(f"  spine_dataloaders, end to end ({len(dls.train_ds)} train + {len(dls.valid_ds)} valid) {t_dls:6.2f} s")
        print(f"SECOND-RUN START: {t_dls:.2f} s for spine_dataloaders over {a.n} cached films "
              f"({t_import + t_dls:.2f} s with the import); target under 5 s")
        t0 = time.perf_counter()
        for p in paths: file_digest(p)
        print(f"for comparison, hashing every whole film (the old cache key): {time.perf_counter() - t0:.2f} s "
              f"for {sum(p.stat().st_size for p in paths) / 2**20:.0f} MiB, files in the page cache")
    finally:
        if a.keep: print('kept', work)
        else: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
