"""A MAHT-Net Learner used the fastai way: exported and loaded in a fresh process, fitted by hand with the run's
callbacks and resumed by `maht_train`, logging through fastai's trackers."""
import json, sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch

from conftest import command, run


def hand_built(config, **kw):
    "DataLoaders and a Learner made step by step, as in a notebook."
    from maht_net.dataloaders import spine_dataloaders
    from maht_net.learner import maht_learner
    dls = spine_dataloaders(config.data_dir, config.view, image_size=config.image_size, bs=config.batch_size,
                            max_items=config.max_items, device='cpu', num_workers=0, progress=False, log=None)
    return dls, maht_learner(dls, config, **kw)


@pytest.mark.parametrize('head', ['maht', 'plain'])
def test_export_then_load_learner_and_predict_in_a_fresh_process(head, tiny_config, tmp_path):
    torch.manual_seed(0)
    dls, learn = hand_built(tiny_config('export', head=head))
    film = dls.valid_ds.items[0].image
    here = learn.predict(film)
    learn.export(tmp_path/'learner.pkl')
    script = f"""
import json, warnings
warnings.simplefilter('ignore')
from fastai.learner import load_learner
learn = load_learner({str(tmp_path/'learner.pkl')!r})
fp = learn.predict({str(film)!r})
print(json.dumps(dict(kps=fp.keypoints.tolist(), conf=fp.confidence.tolist(), labels=fp.labels.tolist(),
                      threshold=fp.threshold, films=len(learn.dls.train_ds) + len(learn.dls.valid_ds),
                      cls=type(learn).__name__, head=learn.model.config['head'])))
"""
    r = run(sys.executable, '-c', script, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got['cls'] == 'MAHTLearner' and got['films'] == 0          # the dataset stays behind
    assert got['head'] == head
    np.testing.assert_allclose(got['kps'], here.keypoints, atol=1e-4)
    np.testing.assert_allclose(got['conf'], here.confidence, atol=1e-6)
    assert got['labels'] == here.labels.tolist() and got['threshold'] == pytest.approx(here.threshold)
    h, w = dls.valid_ds.items[0].height, dls.valid_ds.items[0].width
    assert (np.array(got['kps']) >= 0).all() and (np.array(got['kps']) <= [w - 1, h - 1]).all()   # the film's own pixels


def test_save_and_load_weights(tiny_config):
    torch.manual_seed(0)
    _, learn = hand_built(tiny_config('weights'))
    learn.save('weights')
    kept = {k: v.clone() for k, v in learn.model.state_dict().items()}
    with torch.no_grad():
        for p in learn.model.parameters(): p.add_(1.0)
    learn.load('weights')
    assert (learn.path/'weights.pth').is_file()
    for k, v in learn.model.state_dict().items(): assert torch.equal(v, kept[k]), k


def test_an_interactive_fit_leaves_a_run_that_maht_train_resumes(tiny_config):
    from maht_net.config import load_checkpoint
    from maht_net.train import run_callbacks
    config = tiny_config('by_hand', epochs=3)
    _, learn = hand_built(config, cbs=run_callbacks(config, quiet=True))
    with learn.no_bar(), learn.no_logging(): learn.lr_find(show_plot=False)
    assert not config.run_dir.exists() or not any(config.run_dir.iterdir())   # lr_find explores and leaves nothing
    assert learn.warmup_cosine.it == 0
    with learn.no_bar(), learn.no_logging():
        learn.fit(2)
        learn.get_preds()                                      # a look at the predictions is not an epoch
    names = {p.name for p in config.run_dir.iterdir()}
    assert {'config.json', 'data.json', 'latest.pth', 'best.pth', 'history.json', 'train.log'} <= names
    ck = load_checkpoint(config.run_dir/'latest.pth')
    assert (ck['epoch'], ck['it']) == (2, 2 * len(learn.dls.train))
    r = run(command('maht_train'), '--resume', config.run_dir/'latest.pth')
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'resuming after epoch 2' in r.stdout
    history = json.loads((config.run_dir/'history.json').read_text())
    assert [row['epoch'] for row in history] == [1, 2, 3]
    assert history[-1]['lr'] == pytest.approx(config.min_lr)    # the cosine schedule ends where the config says


def test_log_csv_writes_fastais_table(tiny_config):
    from maht_net.train import train
    learn = train(tiny_config('csv', epochs=2), quiet=True, progress=False, log=['csv'])
    lines = (learn.state.run_dir/'log.csv').read_text().splitlines()
    header = lines[0].split(',')
    assert header[:4] == ['epoch', 'train_loss', 'valid_loss', 'mre_input_px'] and 'level_id' in header
    assert len(lines) == 1 + 2
    rows = [dict(zip(header, l.split(','))) for l in lines[1:]]
    history = learn.state.history
    for row, h in zip(rows, history): assert float(row['mre_input_px']) == pytest.approx(h['mre_input_px'], rel=1e-5)


@pytest.mark.parametrize('kind, package, pip', [('tensorboard', 'tensorboard', 'pip install tensorboard'),
                                                ('wandb', 'wandb', 'pip install wandb')])
def test_a_missing_tracker_is_one_line_naming_pip(kind, package, pip, tiny_config):
    from maht_net.train import tracking_callbacks, MissingExtraError
    with mock.patch.dict(sys.modules, {package: None}):
        with pytest.raises(MissingExtraError, match=pip): tracking_callbacks([kind], tiny_config())
    config = tiny_config('missing')
    config.save(Path(config.output_dir)/'missing.json')
    script = (f"import sys; sys.modules[{package!r}] = None; from maht_net.train import maht_train; "
              f"maht_train(['--data-dir', {config.data_dir!r}, '--model-size', 'tiny', '--image-size', '64', '--epochs', '1', "
              f"'--max-items', '4', '--output-dir', {config.output_dir!r}, '--experiment-name', 'missing', '--log', {kind!r}])")
    r = run(sys.executable, '-c', script)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"maht_train: error: --log {kind} needs") and lines[0].endswith(pip), lines
    assert not (Path(config.output_dir)/'missing').exists()     # stopped before any work
