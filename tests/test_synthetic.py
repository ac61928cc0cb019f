"""The synthetic generator from the command line: `maht_synth --difficulty hard` and `clinical` write sets the strict
reader takes; default and hard sets stay byte for byte what they were."""
from conftest import command, run


def test_maht_synth_writes_a_hard_set(tmp_path):
    from maht_net.anatomy import VIEWS
    from maht_net.data import scan_dataset
    r = run(command('maht_synth'), '--out', tmp_path/'hard', '--patients', '4', '--max-size', '300', '--difficulty', 'hard')
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'hard' in r.stdout
    assert 'difficulty=hard' in (tmp_path/'hard'/'README.txt').read_text()
    for v in VIEWS:
        scan = scan_dataset(tmp_path/'hard', v)
        assert (len(scan.items), len(scan.problems)) == (4, 0), scan.report()


def test_maht_synth_refuses_an_unknown_difficulty(tmp_path):
    r = run(command('maht_synth'), '--out', tmp_path/'x', '--patients', '2', '--difficulty', 'extreme')
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        "maht_synth: error: difficulty must be one of ('default', 'hard', 'clinical'), got 'extreme'"], r.stderr
    assert not (tmp_path/'x'/'AP').exists() or not any((tmp_path/'x'/'AP').iterdir())


def test_maht_synth_writes_a_default_set_and_its_gallery(tmp_path):
    import cv2
    from maht_net.synthetic import dataset_summary
    out = tmp_path/'cli'
    r = run(command('maht_synth'), '--out', out, '--patients', '3', '--seed', '5', '--max-size', '256', '--show')
    assert r.returncode == 0 and str(out) not in r.stderr, r.stderr[-2000:]
    assert 'SYNTHETIC dataset: 3 AP + 3 LA films' in r.stdout and 'gallery:' in r.stdout and str(out.resolve()) in r.stdout
    g = cv2.imread(str(out/'gallery.png'), cv2.IMREAD_GRAYSCALE)
    assert g is not None and g.std() > 20                                  # not blank
    assert dataset_summary(out)['films'] == {'AP': 3, 'LA': 3}


def test_two_processes_asking_for_the_cached_set_get_one_folder_generated_once(tmp_path):
    import subprocess, sys
    from pathlib import Path
    code = f"from maht_net.synthetic import synthetic_root; print(synthetic_root(3, seed=9, max_size=200, cache_dir={str(tmp_path)!r}))"
    procs = [subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert outs[0] == outs[1] and (Path(outs[0])/'.complete').exists(), outs
    assert len(list(Path(outs[0]).glob('*/*.jpg'))) == 6
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith('.lock')] == [Path(outs[0]).name]


def test_default_and_hard_films_are_the_films_of_generator_version_3():
    """The pixels, CSV text and spacing of three default and three hard patients, as generator version 3 drew them
    before the clinical difficulty came (digests of the drawn arrays, not of the JPEG files, so that another JPEG
    encoder cannot fail it)."""
    import hashlib
    from maht_net.synthetic import synth_sample, patient_seed
    from maht_net.data import annotation_text
    got = {}
    for d in ('default', 'hard'):
        h = hashlib.sha256()
        for i in (1, 2, 3):
            for v in ('AP', 'LA'):
                s = synth_sample(v, patient_seed(11, i), max_size=160, difficulty=d)
                h.update(s['image'].tobytes()); h.update(annotation_text(s['keypoints'], s['labels']).encode())
                h.update(f"{s['meta']['mm_per_px']:.6f}".encode())
        got[d] = h.hexdigest()[:16]
    assert got == {'default': 'b251003db541d217', 'hard': '4b342f17d918c9da'}, got


def test_maht_synth_writes_a_clinical_set_with_its_exact_corners(tmp_path):
    import numpy as np
    from maht_net.anatomy import VIEWS
    from maht_net.data import scan_dataset, exact_corners, TRUTH_FOLDER, load_spacing
    out = tmp_path/'clinical'
    r = run(command('maht_synth'), '--out', out, '--patients', '6', '--max-size', '300', '--difficulty', 'clinical')
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'clinical' in r.stdout
    readme = (out/'README.txt').read_text()
    assert 'difficulty=clinical' in readme and 'counted up from the sacrum' in readme, readme
    rows = (out/TRUTH_FOLDER/'films.csv').read_text().splitlines()
    assert rows[0] == 'stem,annotator,transitional,gross_corners' and len(rows) == 13, rows
    spacing = load_spacing(out/'spacing.csv')
    for v in VIEWS:
        scan = scan_dataset(out, v)
        assert (len(scan.items), len(scan.problems)) == (6, 0), scan.report()
        exact, clicked = exact_corners(out, scan.items), np.stack([i.keypoints for i in scan.items])
        mm = np.linalg.norm(clicked - exact, axis=-1) * np.array([spacing[i.stem] for i in scan.items])[:, None]
        assert 0.5 < np.median(mm) < 3.0, np.median(mm)            # an annotator's clicks, not the drawn corners
