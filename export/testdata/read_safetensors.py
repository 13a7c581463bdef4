"""Reads a safetensors file independently of the Go code (json + numpy, or the safetensors package
when it is importable) and prints {name: [dtype, shape, sum as float64]} as JSON."""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I8": "i1", "U8": "u1", "I16": "<i2",
          "I32": "<i4", "I64": "<i8", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}

path = sys.argv[1]
with open(path, "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
out = {}
for name, e in header.items():
    if name == "__metadata__":
        continue
    lo, hi = e["data_offsets"]
    a = np.frombuffer(data[lo:hi], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    out[name] = [e["dtype"], list(a.shape), float(a.astype(np.float64).sum())]
try:
    from safetensors.numpy import load_file
    for name, a in load_file(path).items():
        assert list(a.shape) == out[name][1], name
except ImportError:
    pass
print(json.dumps({"tensors": out, "metadata": header.get("__metadata__", {})}))
