/**
 * The few protobuf wire-format encodings needed to write an ONNX model by hand: varints and
 * length-delimited fields (strings, bytes, nested messages). Fields are written in call order.
 * Byte fields are referenced, not copied, and nested messages keep their parts until `finish()`,
 * so a model of tens of MB of weights is copied once, not once per nesting level.
 */
export class ProtobufWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  /** Wire type 0: int32/int64/enum/bool, non-negative values only. */
  varint(field: number, value: number | bigint): this {
    return this.push([encodeVarint(BigInt(field) << 3n), encodeVarint(BigInt(value))]);
  }

  /** Wire type 2 with raw bytes; `value` must not change before `finish()`. */
  bytes(field: number, value: Uint8Array): this {
    return this.push([lengthDelimitedTag(field), encodeVarint(BigInt(value.length)), value]);
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** Wire type 2 holding a nested message built by `build`. */
  message(field: number, build: (writer: ProtobufWriter) => void): this {
    const nested = new ProtobufWriter();
    build(nested);
    // A message can hold thousands of parts: pushed one array at a time, never spread as arguments.
    return this.push([lengthDelimitedTag(field), encodeVarint(BigInt(nested.length))]).push(nested.parts);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }

  private push(parts: readonly Uint8Array[]): this {
    for (const part of parts) {
      this.parts.push(part);
      this.length += part.length;
    }
    return this;
  }
}

function lengthDelimitedTag(field: number): Buffer {
  return encodeVarint((BigInt(field) << 3n) | 2n);
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
