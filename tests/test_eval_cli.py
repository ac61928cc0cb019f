"""`maht_eval` as users run it: in its own process on a run's checkpoint, with its options, from another folder, on a data
folder that changed since training, and the one-line errors of every mistake."""
import os, shutil, warnings

import numpy as np
from pathlib import Path

import pytest

from conftest import command, run, strict_json, tiny, exit_message


@pytest.fixture(scope='module')
def la_run(synthetic_data, tmp_path_factory) -> Path:
    "The folder of a finished one-epoch LA run of the tiny preset."
    from maht_net.train import train
    return train(tiny(synthetic_data, tmp_path_factory.mktemp('runs'), 'la', view='LA', epochs=1), quiet=True,
                 progress=False).state.run_dir


def test_maht_eval_reports_what_evaluate_checkpoint_finds(ap_run, tmp_path):
    from maht_net.evaluate import evaluate_checkpoint, REPORT_FIGURES, png_is_blank
    r = run(command('maht_eval'), '--checkpoint', ap_run/'best.pth', '--split', 'all', '--out', tmp_path/'eval', '--device', 'cpu')
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith('SYNTHETIC data') and 'pixel spacing: from the spacing table' in r.stdout, r.stdout
    ev = evaluate_checkpoint(ap_run/'best.pth', split='all', device='cpu', log=None)
    mj = strict_json(tmp_path/'eval'/'metrics.json')
    assert abs(mj['mean_radial_error_px'] - ev.err_px.mean()) < 1e-4 and abs(mj['mean_radial_error_mm'] - ev.err_mm.mean()) < 1e-4
    f = mj['films_all_edges_identified']
    assert (f"level identification: {mj['level_identification_pct']:.1f}% of edges ({f['identified']} of {len(ev)} films with "
            f"every edge on its own level); VerSe vertebra identification: {mj['vertebra_identification_pct']:.1f}%") in r.stdout
    assert [n for n in REPORT_FIGURES if png_is_blank(tmp_path/'eval'/f'{n}.png')] == []
    report = (tmp_path/'eval'/'report.md').read_text()
    assert '(SYNTHETIC data)' in report and '## Level identification' in report
    assert ev.meta['data']['same_as_training'] is True                       # the run's own data, unchanged


def test_spacing_file_threshold_and_flip_averaging(la_run, capsys):
    from maht_net.evaluate import maht_eval, evaluate_checkpoint
    ev = evaluate_checkpoint(la_run/'best.pth', split='val', device='cpu', log=None)
    spacing = la_run/'spacing.csv'
    spacing.write_text(''.join(f"{s},0.25\n" for s in ev.stems))
    maht_eval(['--checkpoint', str(la_run/'best.pth'), '--split', 'val', '--spacing', str(spacing), '--slip-threshold', '7.5',
               '--tta', '--no-plots', '--device', 'cpu'])
    out = capsys.readouterr().out
    mj = strict_json(la_run/'eval_val'/'metrics.json')                      # the default folder: beside the checkpoint
    assert mj['films'] == len(ev) and mj['clinical']['slip_threshold_pct'] == 7.5 and 'spacing.csv' in mj['spacing']['source']
    assert abs(mj['mean_radial_error_mm'] - mj['mean_radial_error_px'] * 0.25) < 1e-9
    assert 'ignored for LA' in out and 'slip call at 7.50% (7.5% (given))' in out, out


def test_mistakes_end_in_one_line(ap_run, tmp_path):
    from maht_net.evaluate import maht_eval
    (tmp_path/'empty'/'AP').mkdir(parents=True); (tmp_path/'neither').mkdir()
    ck = ap_run/'best.pth'
    for args, msg in [(('--checkpoint', tmp_path/'nope.pth'), f"maht_eval: error: {tmp_path/'nope.pth'}: no such checkpoint"),
                      (('--checkpoint', ck, '--data-dir', tmp_path/'nowhere'), f"{tmp_path/'nowhere'}: no such data directory"),
                      (('--checkpoint', ck, '--data-dir', tmp_path/'neither'), 'has neither an AP/ nor an LA/ folder'),
                      (('--checkpoint', ck, '--data-dir', tmp_path/'empty'), 'no usable AP images in the test split'),
                      (('--checkpoint', ck, '--split', 'all', '--spacing', '-1'), 'spacing must be a positive number')]:
        m = exit_message(maht_eval, *args, '--out', tmp_path/'out')
        assert m.startswith('maht_eval: error: ') and msg in m and len(m.splitlines()) == 1, (args, m)


def test_a_checkpoint_is_enough_from_anywhere_and_says_when_its_films_changed(synthetic_data, tmp_path, capsys):
    from maht_net.train import train
    from maht_net.config import load_checkpoint
    from maht_net.evaluate import evaluate_checkpoint, maht_eval
    shutil.copytree(synthetic_data, tmp_path/'synth')
    here = Path.cwd(); os.chdir(tmp_path)
    try: train(tiny('synth', 'runs', 'relative', epochs=1), quiet=True, progress=False)   # a relative data folder
    finally: os.chdir(here)
    rel = tmp_path/'runs'/'relative'
    (tmp_path/'elsewhere').mkdir()
    r = run(command('maht_eval'), '--checkpoint', rel/'best.pth', '--split', 'all', '--no-plots', '--device', 'cpu',
            cwd=tmp_path/'elsewhere')
    assert r.returncode == 0, r.stdout + r.stderr
    n = len(list((synthetic_data/'AP').glob('*.csv')))
    assert r.stdout.startswith(f"SYNTHETIC data: {(tmp_path/'synth').resolve()}, AP view, split all, {n} films"), r.stdout
    kept = load_checkpoint(rel/'best.pth')['meta']['data']['slip_threshold']
    assert f"at {100 * kept['value']:.2f}% ({kept['source']} (kept in" in r.stdout, r.stdout
    for f in sorted((tmp_path/'synth'/'AP').glob('*'))[:2]: f.unlink()          # one patient's film and CSV are gone
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        ev = evaluate_checkpoint(rel/'best.pth', split='val', log=None)
    assert ev.meta['data']['same_as_training'] is False
    msgs = [str(w.message) for w in caught if 'not the films' in str(w.message)]
    assert len(msgs) == 1 and str(tmp_path/'synth') in msgs[0], msgs
    bad = sorted((tmp_path/'synth'/'AP').glob('*.csv'))[3]; bad.write_text('1,2,3\n')   # every film left out is named
    maht_eval(['--checkpoint', str(rel/'best.pth'), '--split', 'all', '--no-plots', '--out', str(tmp_path/'broken')])
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == ['AP: 1 of 13 films left out:', f"  {bad}: row 1 (line 1) has 3 columns, expected 5 (x1,y1,x2,y2,label)"], out
    assert [Path(x['file']).stem for x in strict_json(tmp_path/'broken'/'metrics.json')['data']['left_out']] == [bad.stem]


def test_maht_eval_scores_a_clinical_set_against_both_truths(ap_run, tmp_path):
    "On a set that keeps its exact corners in truth/, the report gives both; on one without, it says nothing of them."
    import numpy as np
    from maht_net.data import scan_dataset, load_spacing, read_annotation, TRUTH_FOLDER
    from maht_net.synthetic import write_synthetic_dataset
    data = write_synthetic_dataset(tmp_path/'clinical', n_patients=8, seed=4, max_size=320, difficulty='clinical')
    r = run(command('maht_eval'), '--checkpoint', ap_run/'best.pth', '--data-dir', data, '--split', 'all', '--no-plots',
            '--out', tmp_path/'eval', '--device', 'cpu')
    assert r.returncode == 0, r.stdout + r.stderr
    mj = strict_json(tmp_path/'eval'/'metrics.json')
    assert mj['truth'] == 'the annotations (the CSVs)' and mj['exact']['truth'] == 'the exact corners (truth/)', mj['exact']
    items = scan_dataset(data, 'AP').items
    spacing = load_spacing(data/'spacing.csv')
    exact = np.stack([read_annotation(data/TRUTH_FOLDER/'AP'/f"{i.stem}.csv", 'AP')[0] for i in items])
    own = (np.linalg.norm(np.stack([i.keypoints for i in items]) - exact, axis=-1) * [[spacing[i.stem]] for i in items]).mean()
    assert abs(mj['exact']['annotation_error_mm']['mean'] - own) < 1e-6, (mj['exact']['annotation_error_mm'], own)
    assert 0.8 < own < 2.5, own                                                  # what annotators are off by
    assert f"against the exact corners (truth/): mean {mj['exact']['mean_radial_error_mm']:.2f} mm" in r.stdout, r.stdout
    assert f"the annotations are {own:.2f} mm from them" in r.stdout
    assert 'exact corners (truth/)' in (tmp_path/'eval'/'report.md').read_text()
    plain = run(command('maht_eval'), '--checkpoint', ap_run/'best.pth', '--split', 'all', '--no-plots', '--out',
                tmp_path/'eval2', '--device', 'cpu')
    assert plain.returncode == 0 and 'exact corners' not in plain.stdout, plain.stdout
    assert strict_json(tmp_path/'eval2'/'metrics.json')['exact'] is None


def test_maht_eval_scores_what_maht_predict_writes(synthetic_data, tmp_path):
    """One answer for one question: re-scoring maht_predict's CSVs against the annotations gives maht_eval's mean error.
    An untrained model puts corners in the letterbox's padding, outside the film, where prediction clips them."""
    import torch
    from maht_net.data import read_annotation
    from maht_net.config import save_model
    from maht_net.model import create_maht_net
    cfg = tiny(synthetic_data, tmp_path, 'untrained', max_items=None)
    torch.manual_seed(1)
    ck = save_model(tmp_path/'untrained.pth', create_maht_net(**cfg.model_config()), cfg)
    films = sorted((synthetic_data/'AP').glob('*.jpg'))
    p = run(command('maht_predict'), '--checkpoint', ck, *films, '--out', tmp_path/'pred', '--device', 'cpu')
    e = run(command('maht_eval'), '--checkpoint', ck, '--split', 'all', '--no-plots', '--out', tmp_path/'eval', '--device', 'cpu')
    assert p.returncode == 0 and e.returncode == 0, p.stderr + e.stderr
    err = [np.linalg.norm(read_annotation(tmp_path/'pred'/f"{f.stem}.csv", 'AP')[0] - read_annotation(f.with_suffix('.csv'), 'AP')[0],
                          axis=-1) for f in films]
    m = strict_json(tmp_path/'eval'/'metrics.json')
    assert m['films'] == len(films) and abs(np.mean(err) - m['mean_radial_error_px']) < 1e-3, (np.mean(err), m['mean_radial_error_px'])
