import ort from 'onnxruntime-node';
const path = process.argv[2];
const d = new Float32Array(128*128*3);
for (const [label, opts] of [['default', {}], ['nospin', {extra:{session:{intra_op:{allow_spinning:'0'}, inter_op:{allow_spinning:'0'}}}}], ['1thread', {intraOpNumThreads:1}]]) {
  const s = await ort.InferenceSession.create(path, {graphOptimizationLevel:'all', logSeverityLevel:3, ...opts});
  for (let k=0;k<20;k++) await s.run({'input:0': new ort.Tensor('float32', d, [1,128,128,3])});
  const t = [];
  for (let r=0;r<15;r++) { const t0 = performance.now(); for (let k=0;k<19;k++) await s.run({'input:0': new ort.Tensor('float32', d, [1,128,128,3])}); t.push(performance.now()-t0); }
  t.sort((a,b)=>a-b); console.log(label, 'median 19 views', t[7].toFixed(1), 'ms');
}
