"""Checkpoints that cannot run code, and every file that is not a usable checkpoint, wherever it is passed: one line
that names the file and what is wrong."""
import pathlib
from functools import partial

import pytest
import torch

from conftest import exit_message


class Crafted:
    "An object whose unpickling would create a file."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (pathlib.Path.touch, (self.marker,))


def test_a_crafted_checkpoint_is_refused_everywhere_and_runs_nothing(synthetic_data, tmp_path):
    from maht_net.config import CHECKPOINT_FORMAT, CheckpointError, load_checkpoint
    from maht_net.train import maht_train
    from maht_net.evaluate import maht_eval
    from maht_net.predict import maht_predict
    marker, crafted = tmp_path/'created_by_unpickling', tmp_path/'crafted.pth'
    torch.save(dict(format=CHECKPOINT_FORMAT, model=Crafted(marker)), crafted)
    with pytest.raises(CheckpointError) as e: load_checkpoint(crafted)
    film = sorted((synthetic_data/'AP').glob('*.jpg'))[0]
    msgs = dict(api=str(e.value), train=exit_message(maht_train, '--resume', crafted),
                eval=exit_message(maht_eval, '--checkpoint', crafted, '--data-dir', synthetic_data, '--no-plots', '--out', tmp_path/'e'),
                predict=exit_message(maht_predict, film, '--checkpoint', crafted, '--out', tmp_path/'p'))
    for k, m in msgs.items():
        assert len(m.splitlines()) == 1 and f"{crafted}: cannot be read safely" in m and 'convert_checkpoint' in m, (k, m)
    assert not marker.exists(), 'unpickling the crafted checkpoint ran its code'


def test_files_that_are_not_usable_checkpoints_end_in_one_line(ap_run, synthetic_data, tmp_path):
    from maht_net.config import CheckpointError, load_checkpoint, save_checkpoint, load_model
    from maht_net.train import maht_train
    from maht_net.evaluate import maht_eval
    from maht_net.predict import maht_predict
    good = ap_run/'latest.pth'
    bad = tmp_path/'bad'; bad.mkdir()
    b = good.read_bytes(); (bad/'truncated.pth').write_bytes(b[:len(b) // 2])
    (bad/'notes.txt').write_text('best epoch 3, 0.74 mm\n')
    torch.save(load_model(good).state_dict(), bad/'state_dict.pth')
    ck = load_checkpoint(good); ck['config'] = {**ck['config'], 'view': 'LA'}; save_checkpoint(bad/'mixed.pth', ck)
    film = sorted((synthetic_data/'AP').glob('*.jpg'))[0]

    def api(f, *args, **kw):
        with pytest.raises(CheckpointError) as e: f(*args, **kw)
        return str(e.value)

    resume = lambda f, *more: exit_message(maht_train, '--resume', f, *more)
    evaluate = lambda f: exit_message(maht_eval, '--checkpoint', f, '--data-dir', synthetic_data, '--no-plots', '--out', tmp_path/'e')
    predict = lambda f: exit_message(maht_predict, film, '--checkpoint', f, '--out', tmp_path/'p')
    model = partial(api, load_model)
    cases = [   # file, how it is used, what the one line must say
        (bad/'truncated.pth', resume, 'a truncated or damaged checkpoint'),
        (bad/'truncated.pth', evaluate, 'a truncated or damaged checkpoint'),
        (bad/'truncated.pth', model, 'a truncated or damaged checkpoint'),
        (bad/'notes.txt', resume, 'not a readable checkpoint'),
        (bad/'notes.txt', predict, 'not a readable checkpoint'),
        (bad/'missing.pth', resume, 'no such checkpoint'),
        (bad/'missing.pth', evaluate, 'no such checkpoint'),
        (bad, predict, 'a folder, not a checkpoint file'),
        (bad/'state_dict.pth', evaluate, 'not a maht_net training checkpoint'),
        (good, lambda f: resume(f, '--view', 'LA'), '--view LA contradicts the checkpoint'),
        (good, partial(api, load_model, view='LA'), 'a checkpoint of the AP view, not LA'),
        (bad/'mixed.pth', model, 'its weights do not fit the LA MAHT-Net'),
        (bad/'mixed.pth', resume, 'its weights do not fit a LA MAHT-Net'),
    ]
    for f, use, phrase in cases:
        m = use(f)
        assert len(m.splitlines()) == 1 and str(f) in m and phrase in m, (f.name, phrase, m)


def test_an_offline_imagenet_start_stops_before_creating_anything(synthetic_data, tiny_config, tmp_path, monkeypatch):
    import json, urllib.error
    from unittest import mock
    import torchvision
    from maht_net.config import load_checkpoint, MODEL_PRESETS, TrainConfig
    from maht_net.model import imagenet_weights_file
    from maht_net.train import maht_train, train
    monkeypatch.setenv('TORCH_HOME', str(tmp_path/'torch_home'))
    with mock.patch.object(torch.hub, 'download_url_to_file', side_effect=urllib.error.URLError('no network')):
        weights = imagenet_weights_file('mobilenet_v3_small')
        err = exit_message(maht_train, '--data-dir', synthetic_data, '--image-size', '64', '--model-size', 'tiny',
                           '--pretrained', 'imagenet', '--output-dir', tmp_path/'runs', '--experiment-name', 'offline')
        torch.save(torchvision.models.mobilenet_v3_small(weights=None).state_dict(), weights)   # what a download leaves
        started = train(tiny_config('imagenet', pretrained='imagenet', epochs=1), quiet=True, progress=False)
    assert len(err.splitlines()) == 1 and str(weights) in err and '--pretrained none' in err, err
    assert not (tmp_path/'runs'/'offline').exists()                                  # nothing was created
    assert str(weights) in started.state.meta['start']
    assert load_checkpoint(started.state.run_dir/'latest.pth')['meta']['start'] == started.state.meta['start']
    assert json.loads((started.state.run_dir/'config.json').read_text())['pretrained'] == 'imagenet'
    assert MODEL_PRESETS['small']['pretrained'] == 'none' and TrainConfig().pretrained == 'imagenet'
