// Median time of one ONNX Runtime session.run on deterministic f32 inputs.
//   node ort_time.js MODEL.onnx REPEAT THREADS [OUTPUT.bin]
// Every graph input is f32; element i of each holds
// float32(sin(i * 12.9898) * 0.5), which bench_attention.py --check rebuilds
// in numpy. With OUTPUT.bin, the first graph output's raw f32 data is
// written there after the timed runs.
// Prints {"median_ms": ...} or {"error": "..."}.
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, repeatArg, threadsArg, outputPath] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: parseInt(threadsArg, 10), interOpNumThreads: 1,
    graphOptimizationLevel: 'all'});
  const feeds = {};
  for (const name of session.inputNames) {
    const meta = session.inputMetadata.find((m) => m.name === name);
    if (meta.type !== 'float32') throw new Error(`input ${name} is ${meta.type}, expected float32`);
    const dims = meta.shape;
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; ++i) data[i] = Math.sin(i * 12.9898) * 0.5;
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  let results = await session.run(feeds);
  const times = [];
  for (let i = 0; i < parseInt(repeatArg, 10); ++i) {
    const start = process.hrtime.bigint();
    results = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  if (outputPath) {
    const out = results[session.outputNames[0]].data;
    fs.writeFileSync(outputPath, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  }
  console.log(JSON.stringify({median_ms: times.length ? times[Math.floor(times.length / 2)] : null}));
}
main().catch((e) => { console.log(JSON.stringify({error: e.message.split('\n')[0]})); });
