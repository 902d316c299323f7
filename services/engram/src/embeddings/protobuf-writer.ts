/**
 * The few protobuf wire-format encodings needed to write an ONNX model by hand: varints and
 * length-delimited fields (strings, bytes, nested messages). Fields are written in call order.
 */
export class ProtobufWriter {
  private readonly parts: Buffer[] = [];

  /** Wire type 0: int32/int64/enum/bool, non-negative values only. */
  varint(field: number, value: number | bigint): this {
    this.parts.push(encodeVarint(BigInt(field) << 3n), encodeVarint(BigInt(value)));
    return this;
  }

  /** Wire type 2 with raw bytes. */
  bytes(field: number, value: Uint8Array): this {
    this.parts.push(encodeVarint((BigInt(field) << 3n) | 2n), encodeVarint(BigInt(value.length)), Buffer.from(value));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** Wire type 2 holding a nested message built by `build`. */
  message(field: number, build: (writer: ProtobufWriter) => void): this {
    const nested = new ProtobufWriter();
    build(nested);
    return this.bytes(field, nested.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function encodeVarint(value: bigint): Buffer {
  if (value < 0n) throw new Error('ProtobufWriter encodes non-negative varints only');
  const bytes: number[] = [];
  do {
    let byte = Number(value & 0x7fn);
    value >>= 7n;
    if (value > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0n);
  return Buffer.from(bytes);
}
