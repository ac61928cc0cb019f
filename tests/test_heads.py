"""Every head of the model is a model of the library: `maht_train --head plain` trains the plain heatmap network, and
its checkpoint is rebuilt, evaluated and predicted with by the same commands and classes as MAHT-Net's."""
import json

import torch

from conftest import command, run, strict_json


def test_the_plain_head_trains_evaluates_and_predicts_through_the_commands(synthetic_data, tmp_path):
    from maht_net.config import load_checkpoint, load_model
    from maht_net.predict import Predictor
    r = run(command('maht_train'), '--view', 'AP', '--data-dir', synthetic_data, '--model-size', 'tiny', '--head', 'plain',
            '--image-size', '64', '--heatmap-sigma', '1', '--batch-size', '2', '--epochs', '1', '--max-items', '6',
            '--num-workers', '0', '--device', 'cpu', '--output-dir', tmp_path, '--experiment-name', 'plain')
    assert r.returncode == 0, r.stderr[-2000:]
    best = tmp_path/'plain'/'best.pth'
    ck = load_checkpoint(best)
    assert (ck['config']['head'], ck['config']['bridge']) == ('plain', None)
    assert not any(k.startswith(('vam.', 'bridge.')) for k in ck['model']), 'the plain network has no queries or bridge'
    model = load_model(best)
    assert (type(model.head).__name__, model.config['bridge']) == ('Conv2d', False)

    pr = Predictor.from_checkpoint(best, device='cpu')
    assert pr.describe()['head'] == 'plain'
    x = torch.rand(1, 1, 64, 64)
    with torch.no_grad(): torch.testing.assert_close(pr.model(x), model(x))   # one checkpoint, one model

    out = tmp_path/'eval'
    r = run(command('maht_eval'), '--checkpoint', best, '--data-dir', synthetic_data, '--split', 'all', '--out', out,
            '--no-plots', '--device', 'cpu')
    assert r.returncode == 0, r.stderr[-2000:]
    m = strict_json(out/'metrics.json')
    assert m['model']['head'] == 'plain' and m['films'] == 14

    r = run(command('maht_predict'), '--checkpoint', best, synthetic_data/'AP', '--out', tmp_path/'pred', '--device', 'cpu')
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(list((tmp_path/'pred').glob('*.csv'))) == 14


def test_an_ablation_switch_travels_in_the_checkpoint(tiny_config):
    from maht_net.train import train
    from maht_net.config import load_model
    learn = train(tiny_config('coord', epochs=1, bridge=False, coord_channels=True), quiet=True, progress=False)
    model = load_model(learn.state.run_dir/'best.pth')
    assert (model.config['head'], model.config['bridge'], model.config['coord_channels']) == ('maht', False, True)
    assert hasattr(model, 'proj') and not hasattr(model, 'bridge')
    cfg = json.loads((learn.state.run_dir/'config.json').read_text())
    assert (cfg['head'], cfg['bridge'], cfg['coord_channels']) == ('maht', False, True)
