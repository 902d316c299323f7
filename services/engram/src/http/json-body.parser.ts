import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { markEmptyJsonBody } from '../common/empty-json-body';
import { jsonShapeProblem } from '../common/json-shape';

/** A client error thrown while reading a body; fastify answers with its status code. */
class BodyParseError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** A body that is not JSON at all (not UTF-8, empty, malformed): JSON-RPC calls this a Parse error. */
export class BodyNotJson extends BodyParseError {}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Every object of the body is walked (keys spelled with \u escapes are caught too). */
const SCAN_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * The only body type accepted is JSON, decoded strictly: invalid UTF-8 is a 400 instead of being
 * silently replaced by U+FFFD and stored. Other content types get fastify's 415. As fastify's own
 * parser does, a `__proto__` key or a `constructor.prototype` path anywhere in the body is a 400:
 * code that merges or spreads a body can then never swap or pollute a prototype. So are nesting past
 * MAX_JSON_DEPTH and lone surrogates (jsonShapeProblem). An empty body is left undefined for its reader
 * to refuse or accept (sentEmptyJsonBody). The size limit is the route's (body-limits.ts).
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void) => {
      let text: string;
      try {
        text = strictUtf8.decode(body);
      } catch {
        done(new BodyNotJson('Request body is not valid UTF-8'));
        return;
      }
      if (text.trim() === '') {
        markEmptyJsonBody(request);
        done(null, undefined);
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        done(new BodyNotJson(`Request body is not valid JSON: ${(error as Error).message}`));
        return;
      }
      try {
        if (typeof value === 'object' && value !== null) secureJson.scan(value, SCAN_OPTIONS);
      } catch {
        done(new BodyParseError('Request body has a "__proto__" or "constructor.prototype" key; rename the key'));
        return;
      }
      const problem = jsonShapeProblem(value);
      done(problem === undefined ? null : new BodyParseError(`Request body: ${problem}`), value);
    },
  );
}
