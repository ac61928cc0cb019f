"""True millimetres as users meet them: a synthetic set carries its spacing table, and `maht_eval`, `maht_predict` and
`maht_train` use it without being asked, name where the spacing came from and let `--spacing` win; the patient split
follows `--split-seed`, never the training seed."""
import shutil

import numpy as np
import pytest

from conftest import command, run, strict_json

TABLE_SOURCE = 'pixel spacing: from the spacing table {}'
DEFAULT_SOURCE = 'pixel spacing: default 0.2 mm/px for every film (no spacing table: BUU-LSPINE images carry no pixel spacing)'


def table_of(root) -> dict:
    from maht_net.data import load_spacing, SPACING_TABLE
    return load_spacing(root/SPACING_TABLE)


def test_a_synthetic_set_carries_the_generators_spacing_of_every_film_as_written(tmp_path):
    from maht_net.anatomy import VIEWS
    from maht_net.data import scan_dataset, parse_name
    from maht_net.synthetic import synth_geometry, patient_seed
    r = run(command('maht_synth'), '--out', tmp_path/'s', '--patients', '3', '--seed', '4', '--max-size', '128')
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path/'s'/'spacing.csv').read_text().splitlines()[0] == 'stem,spacing_mm'
    table = table_of(tmp_path/'s')
    films = sorted(f.stem for v in VIEWS for f in (tmp_path/'s'/v).glob('*.jpg'))
    assert sorted(table) == films and len(films) == 6
    for stem in films:
        info = parse_name(stem)
        g = synth_geometry(info['view'], patient_seed(4, int(info['patient'])), max_size=128)
        assert abs(table[stem] - g['meta']['mm_per_px']) < 1e-6, stem
        assert 1.0 < table[stem] < 3.0, (stem, table[stem])          # a 128 px film: pixels of 1-3 mm, not 0.2
    for v in VIEWS: assert len(scan_dataset(tmp_path/'s', v).problems) == 0
    check = run(command('maht_check_data'), tmp_path/'s')
    assert check.returncode == 0 and 'spacing.csv' not in check.stdout, check.stdout


def eval_metrics(ap_run, out, *args):
    "Run `maht_eval` on every film; its stdout and metrics.json, every film listed among the worst."
    r = run(command('maht_eval'), '--checkpoint', ap_run/'best.pth', '--split', 'all', '--no-plots', '--device', 'cpu',
            '--n-worst', '100', '--out', out, *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout, strict_json(out/'metrics.json')


def film_mm_and_px(metrics) -> tuple[dict, dict]:
    films = metrics['worst_films']
    return {f['stem']: f['mean_error_mm'] for f in films}, {f['stem']: f['mean_error_px'] for f in films}


def test_maht_eval_takes_the_sets_spacing_table_and_names_it(ap_run, synthetic_data, tmp_path):
    out, m = eval_metrics(ap_run, tmp_path/'eval')
    table = table_of(synthetic_data)
    assert TABLE_SOURCE.format(synthetic_data/'spacing.csv') in out, out
    assert m['spacing']['source'] == f"from the spacing table {synthetic_data/'spacing.csv'}"
    mm, px = film_mm_and_px(m)
    assert len(mm) == m['films'] == 14
    for stem in mm: assert abs(mm[stem] - px[stem] * table[stem]) < 1e-9, stem
    assert abs(m['mean_radial_error_mm'] - np.mean([px[s] * table[s] for s in px])) < 1e-9
    assert abs(m['spacing']['mean_mm_per_px'] - np.mean([table[s] for s in px])) < 1e-9


def test_maht_eval_says_default_without_a_table_and_a_given_spacing_wins(ap_run, synthetic_data, tmp_path):
    bare = tmp_path/'bare'
    shutil.copytree(synthetic_data, bare); (bare/'spacing.csv').unlink()
    out, m = eval_metrics(ap_run, tmp_path/'bare_eval', '--data-dir', bare)
    assert DEFAULT_SOURCE in out, out
    mm, px = film_mm_and_px(m)
    for stem in mm: assert abs(mm[stem] - px[stem] * 0.2) < 1e-9, stem
    out, m = eval_metrics(ap_run, tmp_path/'given', '--spacing', '0.3')
    assert 'pixel spacing: 0.3 mm/px for every film (given)' in out, out
    mm, px = film_mm_and_px(m)
    for stem in mm: assert abs(mm[stem] - px[stem] * 0.3) < 1e-9, stem


def test_maht_predict_finds_the_table_of_the_dataset_its_films_lie_in(ap_run, synthetic_data, tmp_path):
    film = sorted((synthetic_data/'AP').glob('*.jpg'))[0]
    r = run(command('maht_predict'), '--checkpoint', ap_run/'best.pth', film, '--out', tmp_path/'p', '--device', 'cpu')
    assert r.returncode == 0 and TABLE_SOURCE.format(synthetic_data/'spacing.csv') in r.stdout, r.stdout + r.stderr
    pj = strict_json(tmp_path/'p'/'predictions.json')
    assert pj['films'][0]['mm_per_px'] == table_of(synthetic_data)[film.stem] and 'spacing.csv' in pj['spacing_source']
    alone = tmp_path/'alone'; alone.mkdir(); shutil.copy(film, alone/film.name)
    r = run(command('maht_predict'), '--checkpoint', ap_run/'best.pth', alone, '--out', tmp_path/'a', '--device', 'cpu')
    assert r.returncode == 0 and DEFAULT_SOURCE in r.stdout, r.stdout + r.stderr
    r = run(command('maht_predict'), '--checkpoint', ap_run/'best.pth', film, '--out', tmp_path/'g', '--spacing', '0.3')
    assert r.returncode == 0 and 'pixel spacing: 0.3 mm/px for every film (given)' in r.stdout, r.stdout + r.stderr
    assert strict_json(tmp_path/'g'/'predictions.json')['films'][0]['mm_per_px'] == 0.3


def fingerprint(run_dir):
    from maht_net.config import load_checkpoint
    return load_checkpoint(run_dir/'best.pth')['meta']['data']['fingerprint']


@pytest.mark.parametrize('flag, same_split', [('--seed', True), ('--split-seed', False)])
def test_the_patient_split_follows_split_seed_not_the_training_seed(flag, same_split, ap_run, tmp_path):
    r = run(command('maht_train'), '--config', ap_run/'config.json', '--output-dir', tmp_path, '--experiment-name', 'other',
            '--epochs', '1', flag, '7')
    assert r.returncode == 0, r.stderr[-2000:]
    seeds = (42, 7) if same_split else (7, 42)
    assert f"patient split seed {seeds[0]}, training seed {seeds[1]}" in r.stdout, r.stdout
    assert (fingerprint(tmp_path/'other') == fingerprint(ap_run)) is same_split


def test_a_run_saved_before_split_seed_keeps_its_split(ap_run, tmp_path):
    from maht_net.config import load_checkpoint, save_checkpoint
    from maht_net.predict import Predictor
    from maht_net.train import resume_config
    ck = load_checkpoint(ap_run/'best.pth')
    old = {**{k: v for k, v in ck['config'].items() if k != 'split_seed'}, 'seed': 7}     # as written before split_seed
    save_checkpoint(tmp_path/'old.pth', {**ck, 'config': old})
    assert Predictor.from_checkpoint(tmp_path/'old.pth', 'cpu').config.split_seed == 7
    assert resume_config(load_checkpoint(tmp_path/'old.pth'), tmp_path/'old.pth').split_seed == 7
    assert Predictor.from_checkpoint(ap_run/'best.pth', 'cpu').config.split_seed == 42
