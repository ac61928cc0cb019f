"""A portable model where users meet it: `maht_export CHECKPOINT --onnx model.onnx`, then `maht_predict --model
model.onnx` on 20 films writes the CSVs `maht_predict --checkpoint` writes, for both heads."""
import json

import numpy as np
import pytest

from conftest import command, run, strict_json, tiny

pytest.importorskip('onnxruntime')


def checkpoint(synthetic_data, folder, head):
    """A checkpoint of a tiny model fitted for 150 steps to the heatmaps of the 14 AP films. Heatmaps must have peaks to
    compare: a model trained for an epoch on a few films predicts nearly flat maps whose maxima tie to the last bit, and
    a tie falls on either side of an argmax by rounding alone (as on any two machines)."""
    import torch
    import torch.nn.functional as F
    from maht_net.config import save_model
    from maht_net.model import create_maht_net
    from maht_net.codec import HeatmapCodec
    from maht_net.films import SpineDataset, ImageCache
    from maht_net.data import scan_dataset
    cfg = tiny(synthetic_data, folder, head, head=head)
    ds = SpineDataset(scan_dataset(synthetic_data, 'AP').items, 64, ImageCache(64, folder/'cache'), progress=False)
    x = torch.stack([ds[i][0] for i in range(len(ds))]).float() / 255
    target = HeatmapCodec.from_config(cfg).encode(torch.stack([ds[i][1] for i in range(len(ds))]), (64, 64))[0]
    torch.manual_seed(0)
    model = create_maht_net(**cfg.model_config())
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for _ in range(150):
        loss = F.binary_cross_entropy_with_logits(model(x), target, pos_weight=torch.tensor(50.))
        opt.zero_grad(); loss.backward(); opt.step()
    (folder/head).mkdir(parents=True)
    save_model(folder/head/'best.pth', model.eval(), cfg)
    return folder/head


@pytest.mark.parametrize('head', ['maht', 'plain'])
def test_onnx_predictions_equal_pytorch_ones(head, synthetic_data, tmp_path):
    run_dir = checkpoint(synthetic_data, tmp_path/'runs', head)
    import cv2
    from maht_net.data import load_image
    films = sorted((synthetic_data/'AP').glob('*.jpg'))                     # 14 films, and 6 of them half as large again
    for f in films[:6]: cv2.imwrite(str(tmp_path/f"big-{f.stem}.png"), cv2.resize(load_image(f), None, fx=1.5, fy=1.5))
    films = films + sorted(tmp_path.glob('big-*.png'))
    e = run(command('maht_export'), run_dir/'best.pth', '--onnx', tmp_path/'model.onnx')
    assert e.returncode == 0, e.stdout + e.stderr
    assert f"head {head}" in e.stdout and 'AP view, 64 x 64 input' in e.stdout, e.stdout
    meta = json.loads(__import__('onnx').load(str(tmp_path/'model.onnx')).metadata_props[0].value)
    assert (meta['view'], meta['image_size'], meta['stride'], meta['head']) == ('AP', [64, 64], 4, head), meta
    a = run(command('maht_predict'), '--checkpoint', run_dir/'best.pth', *films, '--out', tmp_path/'torch', '--device', 'cpu')
    b = run(command('maht_predict'), '--model', tmp_path/'model.onnx', *films, '--out', tmp_path/'onnx')
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert f"AP ONNX model {tmp_path/'model.onnx'}" in b.stdout, b.stdout
    assert len(films) == 20
    for f in films:
        x, y = (np.loadtxt(tmp_path/d/f"{f.stem}.csv", delimiter=',', ndmin=2) for d in ('torch', 'onnx'))
        assert np.abs(x[:, :4] - y[:, :4]).max() <= 0.01, (f.name, np.abs(x - y).max())     # film pixels
        assert (x[:, 4] == y[:, 4]).all(), f.name                                            # the same slip calls
    pa, pb = strict_json(tmp_path/'torch'/'predictions.json'), strict_json(tmp_path/'onnx'/'predictions.json')
    assert pa['slip_threshold_pct'] == pb['slip_threshold_pct'] and len(pb['films']) == 20


def test_mistakes_end_in_one_line(ap_run, synthetic_data, tmp_path):
    film = sorted((synthetic_data/'AP').glob('*.jpg'))[0]
    (tmp_path/'fake.onnx').write_text('not a model')
    for args, msg in [(('--model', tmp_path/'nope.onnx'), f"{tmp_path/'nope.onnx'}: no such ONNX model"),
                      (('--model', tmp_path/'fake.onnx'), f"{tmp_path/'fake.onnx'}: not a readable ONNX model")]:
        r = run(command('maht_predict'), *args, film, '--out', tmp_path/'out')
        assert r.returncode == 1 and r.stderr.strip().startswith(f"maht_predict: error: {msg}"), r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = run(command('maht_predict'), '--model', tmp_path/'fake.onnx', '--checkpoint', ap_run/'best.pth', film)
    assert r.returncode == 2 and 'not allowed with argument' in r.stderr, r.stderr
