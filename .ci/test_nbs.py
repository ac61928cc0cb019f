#!/usr/bin/env python
"""Run the notebook test suite: every notebook under nbs/ through `nbdev_test`, two at a time,
each under a time limit, and print one line per notebook and a closing `N passed, N failed` line.

    python .ci/test_nbs.py                  # the default suite
    python .ci/test_nbs.py --flags slow     # also the cells marked `#| slow`
    python .ci/test_nbs.py nbs/00_data.ipynb
"""
import argparse, os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def notebooks(paths):
    if paths: return [Path(p).resolve() for p in paths]
    return sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))

def run_one(nb, flags, timeout, threads):
    env = dict(os.environ, IN_TEST='1', MPLBACKEND='Agg', OMP_NUM_THREADS=str(threads),
               PYTHONWARNINGS=os.environ.get('PYTHONWARNINGS', 'ignore::DeprecationWarning'))
    cmd = ['timeout', '--kill-after=30', str(timeout), 'nbdev_test', '--path', str(nb), '--n_workers', '0']
    if flags: cmd += ['--flags', flags]
    t0 = time.time()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.time() - t0
    ok = p.returncode == 0 and 'Success.' in p.stdout
    why = '' if ok else ('timed out' if p.returncode in (124, 137) else f'exit {p.returncode}')
    return nb, ok, took, why, p.stdout + p.stderr

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('paths', nargs='*', help='notebooks to test (default: all in nbs/)')
    ap.add_argument('--flags', default='', help='space-separated test flags to run, e.g. "slow"')
    ap.add_argument('--timeout', type=int, default=900, help='seconds allowed per notebook')
    ap.add_argument('--workers', type=int, default=2, help='notebooks run at once')
    a = ap.parse_args()
    nbs = notebooks(a.paths)
    threads = max(1, (os.cpu_count() or 2) // max(1, min(a.workers, len(nbs))))
    t0 = time.time()
    passed = failed = 0
    with ThreadPoolExecutor(a.workers) as ex:
        for nb, ok, took, why, out in ex.map(lambda n: run_one(n, a.flags, a.timeout, threads), nbs):
            print(f"{'PASS' if ok else 'FAIL'} {nb.name} ({took:.0f} s){' ' + why if why else ''}", flush=True)
            if ok: passed += 1
            else:
                failed += 1
                print('\n'.join('    ' + l for l in out.strip().splitlines()[-60:]), flush=True)
    print(f"suite took {time.time() - t0:.0f} s")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)

if __name__ == '__main__': main()
