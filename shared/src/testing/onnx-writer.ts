/**
 * A minimal, hand-written protobuf encoder for ONNX `ModelProto`, so that tests can build real
 * (tiny) models in code instead of shipping binaries or depending on a protobuf library.
 *
 * Only what small test graphs need is expressed: nodes with INT, INTS and FLOAT attributes,
 * FLOAT and INT64 initializers stored as little-endian `raw_data`, and tensor-typed graph
 * inputs and outputs. Field numbers follow onnx/onnx.proto (proto2) exactly.
 */

/** ONNX `TensorProto.DataType` values for the element types this writer supports. */
export const OnnxDataType = { float: 1, int64: 7 } as const;

/** An element type by name: `float` (float32) or `int64`. */
export type OnnxElemType = keyof typeof OnnxDataType;

/** One node attribute; the key says which ONNX attribute type it is encoded as. */
export type OnnxAttribute =
  | { int: number | bigint }
  | { ints: readonly (number | bigint)[] }
  | { float: number };

/** A graph node: `opType` from the default ("") domain. */
export interface OnnxNodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** A constant tensor (initializer), stored as raw little-endian bytes. */
export interface OnnxTensorSpec {
  name: string;
  dataType: OnnxElemType;
  dims: readonly number[];
  /** Row-major values; their count must be the product of `dims` (1 for a scalar, dims []). */
  values: readonly (number | bigint)[] | Float32Array | BigInt64Array;
}

/** A graph input or output: a tensor whose dims are sizes or symbolic names (e.g. `'batch'`). */
export interface OnnxValueInfoSpec {
  name: string;
  elemType: OnnxElemType;
  shape: readonly (number | string)[];
}

/** Everything `encodeModel` writes into one ModelProto. */
export interface OnnxModelSpec {
  graphName: string;
  nodes: readonly OnnxNodeSpec[];
  initializers?: readonly OnnxTensorSpec[];
  inputs: readonly OnnxValueInfoSpec[];
  outputs: readonly OnnxValueInfoSpec[];
  /** Version of the default-domain opset; 13 unless given. */
  opsetVersion?: number;
}

// Protobuf wire types.
const VARINT = 0;
const FIXED32 = 5;
const LEN = 2;

// AttributeProto.AttributeType values.
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

const TWO_64 = 1n << 64n;
const utf8 = new TextEncoder();

/** Appends protobuf fields to a growing list of byte chunks; `finish` joins them. */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];

  private varint(value: number | bigint): void {
    // int64 fields carry negatives as their 64-bit two's complement, ten bytes on the wire.
    let v = BigInt(value);
    if (v < 0n) v += TWO_64;
    const bytes: number[] = [];
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      bytes.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
    this.chunks.push(Uint8Array.from(bytes));
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.chunks.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LEN);
    this.varint(value.length);
    this.chunks.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function encodeAttribute(name: string, attr: OnnxAttribute): ProtoWriter {
  // AttributeProto: name=1, f=2, i=3, ints=8, type=20.
  const w = new ProtoWriter().string(1, name);
  if ('float' in attr) w.float(2, attr.float).int(20, ATTR_FLOAT);
  else if ('int' in attr) w.int(3, attr.int).int(20, ATTR_INT);
  else {
    // proto2 `repeated int64` defaults to unpacked; parsers accept either form.
    for (const v of attr.ints) w.int(8, v);
    w.int(20, ATTR_INTS);
  }
  return w;
}

function encodeNode(node: OnnxNodeSpec): ProtoWriter {
  // NodeProto: input=1, output=2, name=3, op_type=4, attribute=5.
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, attr] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(name, attr));
  return w;
}

function rawData(t: OnnxTensorSpec): Uint8Array {
  const count = t.dims.reduce((n, d) => n * d, 1);
  if (t.values.length !== count) {
    throw new Error(`initializer ${t.name}: ${t.values.length} values for dims [${t.dims.join(',')}]`);
  }
  const width = t.dataType === 'float' ? 4 : 8; // bytes per element
  const out = new Uint8Array(count * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const v = t.values[i]!;
    if (t.dataType === 'float') view.setFloat32(i * 4, Number(v), true);
    else view.setBigInt64(i * 8, BigInt(v), true);
  }
  return out;
}

function encodeTensor(t: OnnxTensorSpec): ProtoWriter {
  // TensorProto: dims=1, data_type=2, name=8, raw_data=9.
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, OnnxDataType[t.dataType]).string(8, t.name).bytes(9, rawData(t));
  return w;
}

function encodeValueInfo(v: OnnxValueInfoSpec): ProtoWriter {
  // TensorShapeProto: dim=1; Dimension: dim_value=1, dim_param=2.
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d);
    shape.message(1, dim);
  }
  // TypeProto.Tensor: elem_type=1, shape=2; TypeProto: tensor_type=1; ValueInfoProto: name=1, type=2.
  const tensorType = new ProtoWriter().int(1, OnnxDataType[v.elemType]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

/** Serialises a model spec to ONNX protobuf bytes (IR version 8), ready for `InferenceSession.create`. */
export function encodeModel(spec: OnnxModelSpec): Uint8Array {
  // GraphProto: node=1, name=2, initializer=5, input=11, output=12.
  const graph = new ProtoWriter();
  for (const n of spec.nodes) graph.message(1, encodeNode(n));
  graph.string(2, spec.graphName);
  for (const t of spec.initializers ?? []) graph.message(5, encodeTensor(t));
  for (const i of spec.inputs) graph.message(11, encodeValueInfo(i));
  for (const o of spec.outputs) graph.message(12, encodeValueInfo(o));
  // OperatorSetIdProto: domain=1, version=2.
  const opset = new ProtoWriter().string(1, '').int(2, spec.opsetVersion ?? 13);
  // ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8.
  return new ProtoWriter().int(1, 8).string(2, 'gic-test').message(7, graph).message(8, opset).finish();
}
