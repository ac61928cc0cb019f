"""The anatomical order term on the true corners of every default and hard synthetic film: slipped films included, the
truth costs nothing once the margins come from the training films; the old row mid-point height measure does not."""
import math

import numpy as np
import pytest
import torch

from maht_net.films import Letterbox
from maht_net.loss import anatomical_loss, edge_gaps, order_margins
from maht_net.synthetic import synth_geometry

SEEDS, TRAIN = range(200), range(140)    # seeds 0-139 play the training films
FRACTION = 0.5


def true_corners(view, difficulty, seeds=SEEDS, size=256):
    "Exact corners [N, K, 2] of synthetic films, letterboxed to `size` px as the data chapter does (nothing rendered)."
    def one(s):
        g = synth_geometry(view, s, difficulty=difficulty)
        return Letterbox.fit(*g['meta']['size'], size).apply(g['keypoints'].astype(np.float64))
    return torch.tensor(np.stack([one(s) for s in seeds]), dtype=torch.float32)


@pytest.fixture(scope='module')
def films():
    return {(v, d): true_corners(v, d) for v in ('AP', 'LA') for d in ('default', 'hard')}


def order_penalty(kps, margins):
    "Vertical part of the order term per film [N], input pixels (`anatomical_loss` on one film at a time)."
    vis = torch.ones(1, kps.shape[1], dtype=torch.bool)
    return torch.stack([anatomical_loss(k[None], vis, margins) for k in kps])


def old_height_penalty(kps, margin=2.5):
    "The former measure per film [N]: each row mid-point at least `margin` px lower than the previous one (L5/S1 of LA exempt)."
    y = kps.unflatten(-2, (-1, 2))[..., 1].mean(-1)
    m = torch.full((y.shape[1] - 1,), margin)
    if y.shape[1] == 11: m[-1] = -math.inf
    return torch.relu(m - (y[:, 1:] - y[:, :-1])).sum(1)


@pytest.mark.parametrize('view', ['AP', 'LA'])
@pytest.mark.parametrize('trained_on', ['default', 'hard', 'both'])
def test_true_corners_cost_nothing(films, view, trained_on):
    train = torch.cat([films[view, d][:len(TRAIN)] for d in (('default', 'hard') if trained_on == 'both' else (trained_on,))])
    margins = order_margins(train, FRACTION)
    assert margins.shape == (films[view, 'default'].shape[1] // 2 - 1,)
    assert (margins > 1).all(), margins                                  # a real constraint on every pair
    for d in ('default', 'hard'):
        pen = order_penalty(films[view, d], margins)
        assert pen.shape == (len(SEEDS),)
        assert pen.max().item() == 0.0, (d, pen.nonzero().flatten().tolist())


def test_true_normal_gaps_keep_room(films):
    "Every true gap along the lower row's normal is positive, with at least the margin fraction of the training smallest."
    for v in ('AP', 'LA'):
        least_train = edge_gaps(films[v, 'default'][:len(TRAIN)]).amin(0)
        for d in ('default', 'hard'):
            g = edge_gaps(films[v, d])
            assert g.min().item() > 2.0, (v, d, g.min().item())
            assert ((g.amin(0) / least_train) > FRACTION).all(), (v, d)


def test_old_height_measure_penalised_slipped_films(films):
    "The former measure charges true hard films (LA slips most), so this file tells the two apart."
    old = {k: int((old_height_penalty(kps) > 0).sum()) for k, kps in films.items()}
    assert old['LA', 'hard'] >= 10 and old['AP', 'hard'] >= 1, old
    heights = {k: (kps.unflatten(-2, (-1, 2))[..., 1].mean(-1).diff(dim=1) < 0).any(1).sum().item() for k, kps in films.items()}
    assert heights['LA', 'hard'] >= 5, heights                          # true rows whose mid-point lies above the previous one
    new = {k: int((order_penalty(kps, order_margins(kps[:len(TRAIN)], FRACTION)) > 0).sum()) for k, kps in films.items()}
    assert new == {k: 0 for k in films}, new


def test_swapped_rows_are_penalised(films):
    kps = films['LA', 'hard'][:20]
    margins = order_margins(films['LA', 'hard'][:len(TRAIN)], FRACTION)
    swapped = kps.clone(); swapped[:, [18, 19, 20, 21]] = kps[:, [20, 21, 18, 19]]     # L5 lower and S1 upper exchanged
    pen = order_penalty(swapped, margins)
    assert (pen > 0).all(), pen
    torch.testing.assert_close(pen, (margins - edge_gaps(swapped)).relu().mean(1))


def test_gradient_finite_on_degenerate_edges():
    xy = torch.zeros(1, 22, 2, requires_grad=True)                      # every corner on one point
    loss = anatomical_loss(xy, torch.ones(1, 22, dtype=torch.bool), torch.ones(10))
    loss.backward()
    assert loss.item() == pytest.approx(1.0)                             # every gap 0 against a margin of 1
    assert torch.isfinite(xy.grad).all()
