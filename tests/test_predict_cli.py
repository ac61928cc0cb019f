"""`maht_predict` on a trained checkpoint: CSVs, overlays and predictions.json for a folder of films, the slip threshold
it takes and says it took, and one line for every film or argument it cannot use."""
import json, shutil

import cv2
import numpy as np

from conftest import command, run, strict_json


def films_folder(synthetic_data, out):
    "Two good AP films (one twice as large, as PNG), a truncated JPEG and a text file named like an image."
    from maht_net.data import load_image
    out.mkdir()
    src = sorted((synthetic_data/'AP').glob('*.jpg'))[0]
    shutil.copy(src, out/src.name)
    cv2.imwrite(str(out/'big.png'), cv2.resize(load_image(src), None, fx=2, fy=2))
    (out/'broken.jpg').write_bytes(src.read_bytes()[:3000])
    (out/'notes.png').write_text('not an image')
    return out, src


def test_a_folder_of_films_gives_csvs_overlays_and_one_line_per_bad_film(ap_run, synthetic_data, tmp_path):
    from maht_net.data import read_annotation
    films, src = films_folder(synthetic_data, tmp_path/'films')
    r = run(command('maht_predict'), '--checkpoint', ap_run/'best.pth', films, tmp_path/'missing.jpg', '--out', tmp_path/'out',
            '--tta', '--slip-threshold', '7.5')
    assert r.returncode == 1, r.stdout + r.stderr
    assert sorted(p.name for p in (tmp_path/'out').glob('*.csv')) == sorted(['big.csv', f'{src.stem}.csv'])
    assert len(list((tmp_path/'out').glob('*.png'))) == 2
    errs = r.stderr.strip().splitlines()
    assert len(errs) == 3 and all(l.startswith('maht_predict: error: ') for l in errs), r.stderr
    assert any('missing.jpg' in l for l in errs) and any('broken.jpg' in l and 'truncated' in l for l in errs)
    assert 'slip threshold 7.50%: 7.5% (given)' in r.stdout, r.stdout
    pj = strict_json(tmp_path/'out'/'predictions.json')
    assert pj['tta'] is True and pj['slip_threshold_pct'] == 7.5 and len(pj['failed']) == 2
    rec = {f['stem']: f for f in pj['films']}
    kps, labels = read_annotation(tmp_path/'out'/f'{src.stem}.csv', 'AP', (rec[src.stem]['width'], rec[src.stem]['height']))
    assert labels.tolist() == rec[src.stem]['labels'] and kps.shape == (20, 2)
    small, big = (read_annotation(tmp_path/'out'/f'{s}.csv', 'AP')[0] for s in (src.stem, 'big'))
    assert np.median(np.abs((big + 0.5) / 2 - 0.5 - small)) < 3, 'the doubled film maps back to its own pixels'


def test_the_threshold_comes_from_the_run_or_a_metrics_file_and_is_named(ap_run, synthetic_data, tmp_path):
    from maht_net.config import load_checkpoint
    film = sorted((synthetic_data/'AP').glob('*.jpg'))[0]
    kept = load_checkpoint(ap_run/'best.pth')['meta']['data']['slip_threshold']
    r = run(command('maht_predict'), '--checkpoint', ap_run/'best.pth', film, '--out', tmp_path/'kept')
    assert r.returncode == 0, r.stderr
    assert f"slip threshold {kept['value']:.2%}: {kept['source']} (kept in {ap_run/'best.pth'})" in r.stdout, r.stdout
    metrics = tmp_path/'metrics.json'
    metrics.write_text(json.dumps(dict(clinical=dict(slip_threshold_pct=12.5, threshold_source='fit elsewhere'))))
    r = run(command('maht_predict'), '--checkpoint', ap_run/'best.pth', film, '--out', tmp_path/'m', '--metrics', metrics)
    assert r.returncode == 0 and f"slip threshold 12.50%: from {metrics} (fit elsewhere)" in r.stdout, r.stdout + r.stderr
    assert strict_json(tmp_path/'m'/'predictions.json')['slip_threshold_pct'] == 12.5


def test_mistakes_end_in_one_line(ap_run, synthetic_data, tmp_path):
    from maht_net.predict import maht_predict
    from conftest import exit_message
    film = sorted((synthetic_data/'AP').glob('*.jpg'))[0]
    (tmp_path/'empty').mkdir(); (tmp_path/'notes.json').write_text('{}')
    r = run(command('maht_predict'), tmp_path/'notes.json', '--checkpoint', ap_run/'best.pth', '--out', tmp_path/'x')
    assert r.returncode == 1 and r.stderr.strip() == f"maht_predict: error: {tmp_path/'notes.json'}: not a readable image (UnidentifiedImageError)", r.stderr
    for args, msg in [((tmp_path/'empty',), 'maht_predict: error: no images'),
                      ((film, '--metrics', tmp_path/'none.json'), 'none.json: no such metrics file')]:
        m = exit_message(maht_predict, *args, '--checkpoint', ap_run/'best.pth', '--out', tmp_path/'x')
        assert msg in m and len(m.strip().splitlines()) <= 2, (args, m)
    m = exit_message(maht_predict, film, '--checkpoint', tmp_path/'nope.pth', '--out', tmp_path/'x')
    assert 'no such checkpoint' in m and len(m.splitlines()) == 1, m


def test_prediction_imports_no_training_stack():
    "A machine that only predicts needs PyTorch and this library: `maht_net.predict` loads no fastai module."
    import sys
    r = run(sys.executable, '-c', "import sys, maht_net.predict; "
            "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('fastai', 'fasttransform', 'fastprogress')}))")
    assert r.returncode == 0 and r.stdout.strip() == '[]', r.stdout + r.stderr
