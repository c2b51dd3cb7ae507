import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeModel } from './onnx-writer.js';

describe('encodeModel', () => {
  it('writes the ModelProto header fields in protobuf wire format', () => {
    const bytes = encodeModel({ graphName: 'g', nodes: [], inputs: [], outputs: [] });
    // Field 1 (ir_version) varint 8, then field 2 (producer_name) length-delimited "gic-test".
    expect([...bytes.slice(0, 4)]).toEqual([0x08, 8, 0x12, 8]);
    expect(new TextDecoder().decode(bytes.slice(4, 12))).toBe('gic-test');
    // Ends with field 8 (opset_import): domain "" (field 1, length 0) and version 13 (field 2).
    expect([...bytes.slice(-6)]).toEqual([0x42, 4, 0x0a, 0, 0x10, 13]);
  });

  it('builds y = Add(x, c) that onnxruntime runs', async () => {
    const model = encodeModel({
      graphName: 'add',
      nodes: [{ opType: 'Add', inputs: ['x', 'c'], outputs: ['y'], name: 'add' }],
      initializers: [{ name: 'c', dataType: 'float', dims: [3], values: [10, 20.5, -30] }],
      inputs: [{ name: 'x', elemType: 'float', shape: ['batch', 3] }],
      outputs: [{ name: 'y', elemType: 'float', shape: ['batch', 3] }],
    });
    const session = await ort.InferenceSession.create(model);
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const { y } = await session.run({ x });
    expect(y?.dims).toEqual([2, 3]);
    expect([...(y!.data as Float32Array)]).toEqual([11, 22.5, -27, 14, 25.5, -24]);
    await session.release();
  });

  it('encodes INT (negative too), INTS and FLOAT attributes and INT64 initializers', async () => {
    const model = encodeModel({
      graphName: 'attrs',
      nodes: [
        { opType: 'Transpose', inputs: ['x'], outputs: ['t'], attributes: { perm: { ints: [1, 0] } } },
        { opType: 'LeakyRelu', inputs: ['t'], outputs: ['l'], attributes: { alpha: { float: 0.5 } } },
        { opType: 'Concat', inputs: ['l', 'l'], outputs: ['c'], attributes: { axis: { int: -1 } } },
        { opType: 'Reshape', inputs: ['c', 'shape'], outputs: ['y'] },
      ],
      initializers: [{ name: 'shape', dataType: 'int64', dims: [1], values: [-1n] }],
      inputs: [{ name: 'x', elemType: 'float', shape: [1, 2] }],
      outputs: [{ name: 'y', elemType: 'float', shape: [4] }],
    });
    const session = await ort.InferenceSession.create(model);
    const x = new ort.Tensor('float32', Float32Array.from([-4, 6]), [1, 2]);
    const { y } = await session.run({ x });
    // Transpose to [[-4],[6]], LeakyRelu halves the negative, Concat on the last axis, flatten.
    expect(y?.dims).toEqual([4]);
    expect([...(y!.data as Float32Array)]).toEqual([-2, -2, 6, 6]);
    await session.release();
  });

  it('refuses an initializer whose values do not fill its dims', () => {
    expect(() =>
      encodeModel({
        graphName: 'bad',
        nodes: [],
        initializers: [{ name: 'c', dataType: 'float', dims: [2, 2], values: [1, 2, 3] }],
        inputs: [],
        outputs: [],
      }),
    ).toThrow(/initializer c: 3 values for dims \[2,2\]/);
  });
});
