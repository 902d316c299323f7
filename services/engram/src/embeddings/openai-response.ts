import { EmbeddingUnavailable } from '../common/domain-errors';

/**
 * Reads the body of an OpenAI-style embeddings answer
 * (`{object:'list', data:[{object:'embedding', index, embedding:[…]}], model, usage}`) into one
 * vector per input, in input order. Anything else is the endpoint's fault and says so.
 */
export function parseEmbeddingsResponse(body: string, expectedCount: number, endpoint: string): Float32Array[] {
  const fail = (problem: string): never => {
    throw new EmbeddingUnavailable(`Embedding endpoint ${endpoint} sent an invalid answer: ${problem}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail('not JSON');
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return fail('no "data" array');
  if (data.length !== expectedCount) return fail(`${data.length} embeddings for ${expectedCount} inputs`);
  const vectors = new Array<Float32Array | undefined>(expectedCount);
  data.forEach((item: unknown, position) => {
    const { index = position, embedding } = (item ?? {}) as {
      index?: unknown;
      embedding?: unknown;
    };
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= expectedCount) {
      fail(`data[${position}].index is ${JSON.stringify(index)}`);
    }
    if (vectors[index as number]) fail(`index ${String(index)} appears twice`);
    if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every(Number.isFinite)) {
      fail(`data[${position}].embedding is not a non-empty array of numbers (base64 encoding is not supported)`);
    }
    vectors[index as number] = Float32Array.from(embedding as number[]);
  });
  return vectors as Float32Array[];
}
