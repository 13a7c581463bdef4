"""Reference computations for the tflite package tests, written with PyTorch.

Reads a JSON list of cases from argv[1] and writes a JSON list of flat float outputs to argv[2].
Each case: {"op": name, "attrs": {...}, "inputs": [{"shape": [...], "data": [...]}, ...]}.
Tensors are NHWC as in TFLite; the computations go through PyTorch's NCHW kernels.
"""
import json
import sys

import torch
import torch.nn.functional as F


def t(spec):
    return torch.tensor(spec["data"], dtype=torch.float64).reshape(spec["shape"])


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def same_pad(size, k, s, d):
    out = (size + s - 1) // s
    eff = (k - 1) * d + 1
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def act(x, a):
    return {"NONE": x, "RELU": F.relu(x), "RELU6": F.relu6(x), "RELU_N1_TO_1": x.clamp(-1, 1),
            "TANH": torch.tanh(x)}[a]


def conv(c, ins, depthwise):
    a = c["attrs"]
    x, w = nchw(t(ins[0])), t(ins[1])
    if "scale" in a:  # int8 weights: dequantize per output channel (dimension 0 or 3)
        scale = torch.tensor(a["scale"], dtype=torch.float64)
        zp = torch.tensor(a["zero_point"], dtype=torch.float64)
        shape = [1] * w.dim()
        shape[a["qdim"]] = -1
        w = (w - zp.reshape(shape)) * scale.reshape(shape)
    kh, kw = w.shape[1], w.shape[2]
    if a["padding"] == "SAME":
        ph = same_pad(x.shape[2], kh, a["sh"], a["dh"])
        pw = same_pad(x.shape[3], kw, a["sw"], a["dw"])
        x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]))
    if depthwise:  # TFLite [1, KH, KW, C*M] → PyTorch [C*M, 1, KH, KW], groups = C
        weight = w.permute(3, 0, 1, 2)
        groups = x.shape[1]
    else:  # TFLite [O, KH, KW, I] → PyTorch [O, I, KH, KW]
        weight = w.permute(0, 3, 1, 2)
        groups = 1
    bias = t(ins[2]) if len(ins) > 2 else None
    y = F.conv2d(x, weight, bias, stride=(a["sh"], a["sw"]), dilation=(a["dh"], a["dw"]), groups=groups)
    return nhwc(act(y, a["act"]))


def run(c):
    op, a, ins = c["op"], c.get("attrs", {}), c["inputs"]
    if op == "CONV_2D":
        return conv(c, ins, False)
    if op == "DEPTHWISE_CONV_2D":
        return conv(c, ins, True)
    if op == "ADD":
        return act(t(ins[0]) + t(ins[1]), a["act"])
    if op == "PAD":
        x, p = t(ins[0]), a["paddings"]
        flat = []
        for lo, hi in reversed(p):
            flat += [lo, hi]
        return F.pad(x, flat)
    if op == "RESIZE_BILINEAR":
        y = F.interpolate(nchw(t(ins[0])), size=tuple(a["size"]), mode="bilinear",
                          align_corners=a["align_corners"])
        return nhwc(y)
    if op == "MAX_POOL_2D":
        x = nchw(t(ins[0]))
        return nhwc(F.max_pool2d(x, (a["fh"], a["fw"]), (a["sh"], a["sw"])))
    if op == "LOGISTIC":
        return torch.sigmoid(t(ins[0]))
    if op == "RESHAPE":
        return t(ins[0]).reshape(a["shape"])
    if op == "CONCATENATION":
        return act(torch.cat([t(s) for s in ins], dim=a["axis"]), a["act"])
    if op == "DEPTH_TO_SPACE":
        # TensorFlow orders the block's channels (i, j, c) (DCR); pixel_shuffle wants (c, i, j).
        x, b = t(ins[0]), a["block"]
        n, h, w, cb = x.shape
        x = x.reshape(n, h, w, b * b, cb // (b * b)).transpose(3, 4).reshape(n, h, w, cb)
        return nhwc(F.pixel_shuffle(nchw(x), b))
    raise ValueError("unknown op " + op)


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = [run(c).reshape(-1).tolist() for c in cases]
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
