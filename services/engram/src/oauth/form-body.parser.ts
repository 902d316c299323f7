import type { FastifyInstance } from 'fastify';
import { valuesProblem } from '../common/request-text';

/**
 * `application/x-www-form-urlencoded` bodies (the OAuth token, revocation and consent endpoints speak
 * it), accepted on the given path prefixes only: anywhere else a cross-site form post could reach the
 * API without a CORS preflight, so other routes keep answering 415. The size limit is the route's (small).
 */
export function registerFormBodyParser(fastify: FastifyInstance, prefixes: readonly string[]): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (!prefixes.some((prefix) => request.url.startsWith(prefix))) {
      const error = Object.assign(new Error('Unsupported Content-Type: send application/json'), { statusCode: 415 });
      return done(error, undefined);
    }
    // Field names are the sender's: with no prototype, `__proto__` or `constructor` is a field like any other.
    const form: Record<string, string | string[]> = Object.create(null);
    for (const [name, value] of new URLSearchParams(body as string)) {
      const existing = form[name];
      form[name] = existing === undefined ? value : [existing, value].flat();
    }
    // As for a query string: a NUL in a client id or token failed PostgreSQL's lookup with a 500.
    const problem = valuesProblem('Form field', form);
    if (problem) return done(Object.assign(new Error(problem), { statusCode: 400 }), undefined);
    done(null, form);
  });
}
