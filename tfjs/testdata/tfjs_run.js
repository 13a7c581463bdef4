// Runs a TF.js graph model with TensorFlow.js itself, for reference outputs and timing.
//
//   node tfjs_run.js NODE_MODULES MODEL_JSON INPUT H W BACKEND ITERS OUT_PREFIX
//
// INPUT holds H·W·3 little-endian int32 values (an NHWC image, batch 1). BACKEND is "cpu" or
// "wasm" (single-threaded SIMD). The outputs go to OUT_PREFIX<i>.f32 as little-endian float32; stdout
// gets one JSON object: {"backend", "outputs": [{"name", "shape"}], "ms": [...], "cpuMs": [...]}.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [nodeModules, modelJSON, input, h, w, backend, iters, outPrefix] = process.argv.slice(2);
  const tf = require(path.join(nodeModules, '@tensorflow/tfjs'));
  if (backend === 'wasm') {
    const wasm = require(path.join(nodeModules, '@tensorflow/tfjs-backend-wasm'));
    wasm.setThreadsCount(1);
    wasm.setWasmPaths(path.join(nodeModules, '@tensorflow/tfjs-backend-wasm/dist') + '/');
  }
  if (!(await tf.setBackend(backend))) throw new Error('backend ' + backend + ' unavailable');
  await tf.ready();
  const model = JSON.parse(fs.readFileSync(modelJSON));
  const specs = [];
  const buffers = [];
  for (const group of model.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelJSON), p)));
  }
  const all = Buffer.concat(buffers);
  const handler = {
    load: async () => ({
      modelTopology: model.modelTopology, format: model.format, generatedBy: model.generatedBy,
      convertedBy: model.convertedBy, signature: model.signature, weightSpecs: specs,
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  };
  const gm = await tf.loadGraphModel(handler);
  const raw = fs.readFileSync(input);
  const vals = new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const x = tf.tensor(vals, [1, +h, +w, 3], 'int32');
  const ms = [], cpuMs = [];
  let outs;
  for (let i = 0; i < +iters; i++) {
    if (outs) tf.dispose(outs);
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    outs = gm.execute(x);
    if (!Array.isArray(outs)) outs = [outs];
    for (const o of outs) await o.data();
    const c1 = process.cpuUsage(c0);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpuMs.push((c1.user + c1.system) / 1000);
  }
  const res = { backend: tf.getBackend(), outputs: [], ms, cpuMs };
  for (let i = 0; i < outs.length; i++) {
    const d = await outs[i].data();
    fs.writeFileSync(outPrefix + i + '.f32', Buffer.from(new Float32Array(d).buffer));
    res.outputs.push({ name: gm.outputs[i] ? gm.outputs[i].name : String(i), shape: outs[i].shape });
  }
  process.stdout.write(JSON.stringify(res) + '\n');
}
main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
