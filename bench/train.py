#!/usr/bin/env python
"""Training throughput: the fastai Learner against a plain PyTorch loop on the same model, data and loss,
and the peak memory of the run.

    python bench/train.py                                   # light model (small preset), 128 px: overhead is visible
    python bench/train.py --size full --image-size 512      # the full MAHT-Net at 512 px, batch 4 (slow on a CPU)

Both loops train on the same cached, augmented synthetic batches; validation is skipped in both. The numbers are
images per second over `--epochs` epochs after a warm-up, in alternating order (Learner, plain, Learner, plain ...)."""
import argparse, resource, time, tempfile, warnings, copy

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--size', default='small', choices=['tiny', 'small', 'full'])
    ap.add_argument('--image-size', type=int, default=128); ap.add_argument('--bs', type=int, default=4)
    ap.add_argument('--items', type=int, default=24, help='training films'); ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    ap.add_argument('--device', default='cpu')
    a = ap.parse_args()
    warnings.simplefilter('ignore')
    import torch
    if a.threads: torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    from fastai.callback.core import Callback, CancelValidException
    from maht_net.config import TrainConfig, MODEL_PRESETS
    from maht_net.learner import maht_learner, make_loss, WarmupCosine, decay_groups
    from maht_net.dataloaders import spine_dataloaders
    from maht_net.model import create_maht_net
    from maht_net.synthetic import write_synthetic_dataset
    root = write_synthetic_dataset(tempfile.mkdtemp(), n_patients=a.items * 2, seed=0, max_size=max(512, a.image_size))
    cfg = TrainConfig(view='AP', image_size=a.image_size, batch_size=a.bs, epochs=100,
                      **{**MODEL_PRESETS[a.size], 'pretrained': 'none'},   # speed needs no trained weights
                      heatmap_sigma=4.0 * a.image_size / 512,   # the order margins come from the films at this size
                      device=a.device, experiment_name='bench', output_dir=tempfile.mkdtemp())
    dls = spine_dataloaders(root, 'AP', image_size=a.image_size, bs=a.bs, num_workers=0, device=a.device,
                            max_items=a.items, progress=False, cache_dir=tempfile.mkdtemp())
    model = create_maht_net(**cfg.model_config()).to(a.device)
    plain_model = copy.deepcopy(model)

    class NoValidate(Callback):
        def before_validate(self): raise CancelValidException()
    sched = WarmupCosine(cfg.epochs, cfg.warmup_epochs, cfg.lr, cfg.min_lr)
    learn = maht_learner(dls, cfg, model, cbs=[sched, NoValidate()])
    learn.remove_cb(learn.progress); learn.logger = lambda *a, **k: None

    loss_fn = make_loss(cfg, dls.train_ds.keypoints)        # the Learner's loss: order margins from the training films
    decay, spared = decay_groups(plain_model)            # the same parameter groups and clipping as the Learner
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=cfg.weight_decay), dict(params=spared, weight_decay=0.)],
                            lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8)
    def plain_epoch():
        plain_model.train()
        for xb, kb, mb in dls.train:
            for g in opt.param_groups: g['lr'] = cfg.lr
            loss = loss_fn(plain_model(xb), kb, mb)
            loss.backward()
            if cfg.grad_clip: torch.nn.utils.clip_grad_norm_(plain_model.parameters(), cfg.grad_clip)
            opt.step(); opt.zero_grad()

    n_img = len(dls.train) * a.bs
    learn.fit(1); plain_epoch()                          # warm-up
    t = {'learner': 0.0, 'plain': 0.0}
    for _ in range(a.rounds):
        t0 = time.perf_counter(); learn.fit(1); t['learner'] += time.perf_counter() - t0
        t0 = time.perf_counter(); plain_epoch(); t['plain'] += time.perf_counter() - t0
    ips = {k: a.rounds * n_img / v for k, v in t.items()}
    print(f"model {a.size} ({cfg.backbone}, d={cfg.d_model}), {a.image_size} px, batch {a.bs}, device {a.device}, "
          f"torch threads {torch.get_num_threads()}, {n_img} images per epoch, {a.rounds} timed epochs each")
    print(f"fastai Learner: {ips['learner']:.2f} img/s | plain PyTorch loop: {ips['plain']:.2f} img/s | "
          f"Learner overhead: {100 * (t['learner'] / t['plain'] - 1):+.1f}%")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB")

if __name__ == '__main__': main()
