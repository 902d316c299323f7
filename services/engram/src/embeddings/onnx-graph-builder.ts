import { ProtobufWriter } from './protobuf-writer';

/** ONNX TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_UINT8 = 2;
export const ONNX_INT8 = 3;
export const ONNX_INT64 = 7;

type Attribute = number | readonly number[];

interface Node {
  type: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Record<string, Attribute>;
}

interface Initializer {
  name: string;
  dims: readonly number[];
  type: number;
  bytes: Uint8Array;
}

interface GraphValue {
  name: string;
  type: number;
  /** Numbers are fixed sizes, strings symbolic ones. */
  dims: readonly (number | string)[];
}

/**
 * Writes an ONNX model (IR 8, default opset 13) from nodes and initializers, so a graph can be assembled in code without the Python onnx package. Only
 * int and ints attributes are supported, both non-negative: enough for axes, perms and casts.
 */
export class OnnxGraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: GraphValue[] = [];
  private readonly outputs: GraphValue[] = [];
  private counter = 0;

  input(name: string, type: number, dims: readonly (number | string)[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  output(name: string, type: number, dims: readonly (number | string)[]): void {
    this.outputs.push({ name, type, dims });
  }

  floats(name: string, data: Float32Array, dims: readonly number[]): string {
    return this.tensor(name, dims, ONNX_FLOAT, data);
  }

  int8s(name: string, data: Int8Array, dims: readonly number[]): string {
    return this.tensor(name, dims, ONNX_INT8, data);
  }

  uint8s(name: string, data: Uint8Array, dims: readonly number[]): string {
    return this.tensor(name, dims, ONNX_UINT8, data);
  }

  int64s(name: string, values: readonly number[]): string {
    return this.tensor(name, [values.length], ONNX_INT64, BigInt64Array.from(values.map(BigInt)));
  }

  /** An initializer over the array's bytes (referenced, not copied). */
  private tensor(name: string, dims: readonly number[], type: number, data: ArrayBufferView): string {
    this.initializers.push({ name, dims, type, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** Adds a node with one output and returns that output's name (`as` names it explicitly). */
  op(type: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, as?: string): string {
    const output = as ?? `${type.toLowerCase()}_${this.counter++}`;
    this.nodes.push({ type, inputs, outputs: [output], attributes });
    return output;
  }

  /** Adds a node with several outputs (Split). */
  opMulti(
    type: string,
    inputs: readonly string[],
    count: number,
    attributes: Record<string, Attribute> = {},
  ): string[] {
    const outputs = Array.from({ length: count }, () => `${type.toLowerCase()}_${this.counter++}`);
    this.nodes.push({ type, inputs, outputs, attributes });
    return outputs;
  }

  encode(graphName: string): Uint8Array {
    return new ProtobufWriter()
      .varint(1, 8) // ir_version
      .string(2, 'engram')
      .message(7, (graph) => {
        for (const node of this.nodes) graph.message(1, (writer) => writeNode(writer, node));
        graph.string(2, graphName);
        for (const tensor of this.initializers) {
          graph.message(5, (writer) => {
            for (const dim of tensor.dims) writer.varint(1, dim);
            writer.varint(2, tensor.type).string(8, tensor.name).bytes(9, tensor.bytes);
          });
        }
        for (const value of this.inputs) graph.message(11, (writer) => writeValueInfo(writer, value));
        for (const value of this.outputs) graph.message(12, (writer) => writeValueInfo(writer, value));
      })
      .message(8, (opset) => opset.string(1, '').varint(2, 13))
      .finish();
  }
}

function writeNode(writer: ProtobufWriter, node: Node): void {
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  writer.string(4, node.type);
  for (const [name, value] of Object.entries(node.attributes)) {
    writer.message(5, (attribute) => {
      attribute.string(1, name);
      if (typeof value === 'number')
        attribute.varint(3, value).varint(20, 2); // INT
      else {
        for (const item of value) attribute.varint(8, item);
        attribute.varint(20, 7); // INTS
      }
    });
  }
}

function writeValueInfo(writer: ProtobufWriter, value: GraphValue): void {
  writer.string(1, value.name).message(2, (type) =>
    type.message(1, (tensorType) =>
      tensorType.varint(1, value.type).message(2, (shape) => {
        for (const dim of value.dims)
          shape.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
      }),
    ),
  );
}
