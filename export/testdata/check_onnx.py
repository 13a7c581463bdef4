"""Checks an ONNX file with onnx.checker (full check, with shape inference) and prints its op types."""
import json
import sys

import onnx

model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
print(json.dumps(sorted({n.op_type for n in model.graph.node})))
