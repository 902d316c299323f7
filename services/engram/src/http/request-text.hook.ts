import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestValues, valuesProblem } from '../common/request-text';

/** A query or path value Engram cannot store or look up; answered 400 `bad_request` naming it. */
class RequestTextRefused extends Error {
  readonly statusCode = 400;
}

/**
 * The query string and path parameters obey the rule JSON bodies do (jsonShapeProblem): no NUL and no
 * lone surrogate in a name or value. A `%00` reached PostgreSQL in a tag filter, an audit principal or an
 * OAuth client id and failed there with a 500; SQLite took it. Checked once here, for every route.
 */
export function registerRequestTextCheck(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async (request: FastifyRequest) => {
    const problem =
      valuesProblem('Query parameter', request.query as RequestValues) ??
      valuesProblem('Path parameter', request.params as RequestValues);
    if (problem) throw new RequestTextRefused(problem);
  });
}
