"""Builds, in PyTorch, the network a posedistill nets.Net JSON description describes, and measures it.

Usage: /usr/bin/python3 torch_net.py MODE NET.json... [--height H] [--width W] [--batch B]
       [--threads T] [--iters N]

It prints one JSON line per NET.json. MODE is one of:
  count   print {"params": learned parameters, "flops": multiply-accumulates of one forward pass at
          H×W (convolutions and transposed convolutions only)}
  train   print {"ms": median wall milliseconds, "cpu_ms": mean process CPU milliseconds} per Adam
          step on an MSE loss to random heatmaps, batch B
  infer   the same per batch-1 forward pass in eval mode

The layers follow the Go semantics exactly: convolutions pad (k-1)//2, batch norm has eps 1e-5 and
momentum 0.1, 4×4 stride-2 transposed convolutions pad 1, bilinear upsampling uses half-pixel centres.
"""
import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, desc):
        super().__init__()
        self.desc = desc
        self.mods = nn.ModuleDict()
        ch = {"input": desc["input_channels"]}
        for l in desc["layers"]:
            op, ins = l["op"], l["inputs"]
            k, s, g = l.get("kernel", 1) or 1, l.get("stride", 1) or 1, l.get("groups", 1) or 1
            cin = sum(ch[i] for i in ins)
            out = cin
            seq = []
            if op == "conv":
                out = l["out"]
                seq.append(nn.Conv2d(cin, out, k, s, (k - 1) // 2, groups=g, bias=l.get("bias", False)))
            elif op == "deconv":
                out = l["out"]
                seq.append(nn.ConvTranspose2d(cin, out, 4, 2, 1, bias=l.get("bias", False)))
            elif op == "maxpool":
                seq.append(nn.MaxPool2d(k, s, (k - 1) // 2))
            elif op == "add":
                out = ch[ins[0]]
            if l.get("bn"):
                seq.append(nn.BatchNorm2d(out, eps=1e-5, momentum=0.1))
            act = l.get("act", "")
            if act == "relu":
                seq.append(nn.ReLU(inplace=op != "add"))
            elif act == "relu6":
                seq.append(nn.ReLU6(inplace=True))
            elif act == "sigmoid":
                seq.append(nn.Sigmoid())
            if seq:
                self.mods[key(l["name"])] = nn.Sequential(*seq)
            ch[l["name"]] = out
        heads = desc["heads"]
        self.heads = [heads[h] for h in ("heatmaps", "locations", "mask") if heads.get(h)]

    def forward(self, x):
        vals = {"input": x}
        for l in self.desc["layers"]:
            op, ins = l["op"], [vals[i] for i in l["inputs"]]
            if op == "add":
                y = ins[0]
                for t in ins[1:]:
                    y = y + t
            elif op == "concat":
                y = torch.cat(ins, 1)
            elif op == "upsample":
                mode = l.get("resize", "nearest")
                y = F.interpolate(ins[0], scale_factor=2, mode=mode,
                                  align_corners=False if mode == "bilinear" else None)
            else:
                y = ins[0]
            m = self.mods[key(l["name"])] if key(l["name"]) in self.mods else None
            vals[l["name"]] = m(y) if m is not None else y
        return [vals[h] for h in self.heads]


def key(name):
    return name.replace(".", "_")


def flops(net, h, w):
    total = 0

    def hook(m, inp, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            total += out.shape[2] * out.shape[3] * kh * kw * (m.in_channels // m.groups) * m.out_channels
        elif isinstance(m, nn.ConvTranspose2d):
            kh, kw = m.kernel_size
            total += inp[0].shape[2] * inp[0].shape[3] * kh * kw * m.in_channels * m.out_channels

    for m in net.modules():
        m.register_forward_hook(hook)
    with torch.no_grad():
        net.eval()(torch.zeros(1, net.desc["input_channels"], h, w))
    return total


def timed(fn, iters):
    """Returns the median wall milliseconds per call and the mean process CPU milliseconds per call."""
    fn()
    fn()
    times = []
    cpu = time.process_time()
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"ms": statistics.median(times), "cpu_ms": (time.process_time() - cpu) * 1000 / iters}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["count", "train", "infer"])
    ap.add_argument("nets", nargs="+")
    ap.add_argument("--height", type=int, default=128)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for path in a.nets:
        torch.manual_seed(0)
        with open(path) as f:
            net = Net(json.load(f))
        json.dump(measure(net, a), sys.stdout)
        print()
        sys.stdout.flush()


def measure(net, a):
    c = net.desc["input_channels"]
    if a.mode == "count":
        res = {"params": sum(p.numel() for p in net.parameters()), "flops": flops(net, a.height, a.width)}
    elif a.mode == "train":
        net.train()
        x = torch.randn(a.batch, c, a.height, a.width)
        targets = [torch.rand_like(o) for o in net(x)]
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)

        def step():
            opt.zero_grad()
            loss = sum(F.mse_loss(o, t) for o, t in zip(net(x), targets))
            loss.backward()
            opt.step()

        res = timed(step, a.iters)
    else:
        net.eval()
        x = torch.randn(1, c, a.height, a.width)

        def infer():
            with torch.no_grad():
                net(x)

        res = timed(infer, a.iters)
    return res


if __name__ == "__main__":
    main()
