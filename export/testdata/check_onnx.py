"""Checks ONNX files with onnx.checker (full check, with shape inference) and prints, as one JSON list,
the sorted op types of each file, in argument order."""
import json
import sys

import onnx

ops = []
for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ops.append(sorted({n.op_type for n in model.graph.node}))
print(json.dumps(ops))
