// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node) for package ortnode.
// Usage: node ort.js model.onnx input.f32 dims.json outdir [iterations [threads]]
// The input is raw little-endian float32 with the given dims; every output is written to
// outdir/<name>.f32, and a JSON line {"outputs": {name: dims}, "ms": [per-iteration times]} is printed.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputPath, dimsPath, outDir, iterArg, threadArg] = process.argv.slice(2);
  const iterations = parseInt(iterArg || '0', 10);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: parseInt(threadArg || '2', 10), interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  const buf = fs.readFileSync(inputPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const dims = JSON.parse(fs.readFileSync(dimsPath, 'utf8'));
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', Float32Array.from(data), dims);
  const results = await session.run(feeds);
  const outputs = {};
  for (const name of session.outputNames) {
    const t = results[name];
    outputs[name] = t.dims;
    fs.writeFileSync(path.join(outDir, path.basename(name) + '.f32'), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  const ms = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(JSON.stringify({ outputs, ms }));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
