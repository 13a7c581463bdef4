// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node) for package ortnode.
// Usage: node ort.js model.onnx input.f32 dims.json outdir [iterations [threads]]
// The input is raw little-endian float32 with the given dims; every output is written to
// outdir/<name>.f32, and a JSON line {"outputs": {name: dims}, "ms": [per-iteration times]} is printed.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

// compare: node ort.js --compare input.f32 dims.json iterations threads model1.onnx model2.onnx …
// loads every model and times them run by run in turn (so they share the machine's load), printing
// {"ms": [[times of model 1], [times of model 2], …]}.
async function compare(args) {
  const [inputPath, dimsPath, iterArg, threadArg, ...models] = args;
  const buf = fs.readFileSync(inputPath);
  const data = Float32Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
  const dims = JSON.parse(fs.readFileSync(dimsPath, 'utf8'));
  const sessions = [];
  for (const m of models) {
    // No spinning: the idle sessions' thread pools would otherwise spin and slow the running one.
    sessions.push(await ort.InferenceSession.create(m, {
      intraOpNumThreads: parseInt(threadArg, 10), interOpNumThreads: 1, graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    }));
  }
  const feeds = sessions.map((s) => ({ [s.inputNames[0]]: new ort.Tensor('float32', data, dims) }));
  for (let j = 0; j < sessions.length; j++) await sessions[j].run(feeds[j]); // warm up
  const ms = sessions.map(() => []);
  for (let i = 0; i < parseInt(iterArg, 10); i++) {
    for (let j = 0; j < sessions.length; j++) {
      const start = process.hrtime.bigint();
      await sessions[j].run(feeds[j]);
      ms[j].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  console.log(JSON.stringify({ ms }));
}

async function main() {
  if (process.argv[2] === '--compare') return compare(process.argv.slice(3));
  const [modelPath, inputPath, dimsPath, outDir, iterArg, threadArg, optArg] = process.argv.slice(2);
  const iterations = parseInt(iterArg || '0', 10);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: parseInt(threadArg || '2', 10), interOpNumThreads: 1, graphOptimizationLevel: optArg || 'all',
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
