#!/usr/bin/env python
"""Run the test suite: every notebook under nbs/ through `nbdev_test` and the machinery tests under tests/ through
pytest, two jobs at a time, each under a time limit; print one line per notebook, one for pytest, and a closing
`N passed, N failed` line that counts each notebook and each pytest test.

    python .ci/test_nbs.py                  # the default suite
    python .ci/test_nbs.py --flags slow     # also the cells marked `#| slow`
    python .ci/test_nbs.py nbs/00_data.ipynb
    python .ci/test_nbs.py tests            # only the pytest tests
"""
import argparse, os, subprocess, sys, tempfile, time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def notebooks(paths):
    if paths: return [Path(p).resolve() for p in paths if Path(p).suffix == '.ipynb']
    return sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))

def test_env(threads):
    return dict(os.environ, IN_TEST='1', MPLBACKEND='Agg', OMP_NUM_THREADS=str(threads),
                PYTHONWARNINGS=os.environ.get('PYTHONWARNINGS', 'ignore::DeprecationWarning'))

def run_pytest(timeout, threads):
    "pytest over tests/: (passed, failed, seconds, output); failed counts errors and a run that did not finish."
    with tempfile.TemporaryDirectory() as d:
        xml = Path(d)/'junit.xml'
        cmd = ['timeout', '--kill-after=30', str(timeout), sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
               f'--junitxml={xml}', str(ROOT/'tests')]
        t0 = time.time()
        p = subprocess.run(cmd, cwd=ROOT, env=test_env(threads), capture_output=True, text=True)
        took = time.time() - t0
        if not xml.exists(): return 0, 1, took, p.stdout + p.stderr
        suite = ET.parse(xml).getroot()
        suite = suite if suite.tag == 'testsuite' else suite.find('testsuite')
        n, bad = int(suite.get('tests', 0)), int(suite.get('failures', 0)) + int(suite.get('errors', 0))
        skipped = int(suite.get('skipped', 0))
        bad += int(p.returncode not in (0, 1) and bad == 0)        # killed, or pytest itself failed
        return n - bad - skipped, bad, took, p.stdout + p.stderr

def run_one(nb, flags, timeout, threads):
    env = test_env(threads)
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
    ap.add_argument('paths', nargs='*', help='notebooks to test, and/or tests/ for pytest (default: all notebooks and tests/)')
    ap.add_argument('--flags', default='', help='space-separated test flags to run, e.g. "slow"')
    ap.add_argument('--timeout', type=int, default=900, help='seconds allowed per notebook')
    ap.add_argument('--workers', type=int, default=2, help='notebooks run at once')
    a = ap.parse_args()
    nbs = notebooks(a.paths)
    with_pytest = not a.paths or any(Path(p).resolve() == ROOT/'tests' for p in a.paths)
    jobs = (['pytest'] if with_pytest else []) + nbs            # pytest first: it is the longest single job
    threads = max(1, (os.cpu_count() or 2) // max(1, min(a.workers, len(jobs))))
    t0 = time.time()
    passed = failed = 0

    def job(j):
        if j == 'pytest': return j, run_pytest(a.timeout, threads)
        return j, run_one(j, a.flags, a.timeout, threads)

    with ThreadPoolExecutor(a.workers) as ex:
        for j, res in ex.map(job, jobs):
            if j == 'pytest':
                ok_n, bad_n, took, out = res
                print(f"{'PASS' if not bad_n else 'FAIL'} tests/ ({ok_n} passed, {bad_n} failed, {took:.0f} s)", flush=True)
                passed, failed = passed + ok_n, failed + bad_n
                if bad_n: print('\n'.join('    ' + l for l in out.strip().splitlines()[-80:]), flush=True)
                continue
            nb, ok, took, why, out = res
            print(f"{'PASS' if ok else 'FAIL'} {nb.name} ({took:.0f} s){' ' + why if why else ''}", flush=True)
            if ok: passed += 1
            else:
                failed += 1
                print('\n'.join('    ' + l for l in out.strip().splitlines()[-60:]), flush=True)
    print(f"suite took {time.time() - t0:.0f} s")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)

if __name__ == '__main__': main()
