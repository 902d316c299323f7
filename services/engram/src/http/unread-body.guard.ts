import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InvalidInput } from '../common/domain-errors';
import { EMPTY_BODY_MESSAGE, sentEmptyJsonBody } from '../common/empty-json-body';
import { HandlerInputsReader } from './handler-inputs';
import { BodyNotJson } from './json-body.parser';

/**
 * Refuses a body the matched handler would never read: DELETE /api/memories/:hash given `{"hard": true}`,
 * or a restore given `{"namespace": "work"}`, would otherwise succeed without the option the client meant.
 * No body, an empty one and `{}` (which many clients send on every POST) carry nothing and pass. Whether a
 * handler reads the body comes from its declared parameters (Nest's route argument metadata), so a route
 * added later is covered without declaring anything, and one that reads the request itself is left alone.
 * It also gives the empty-body refusal the JSON parser leaves to it for the handlers that do read a body.
 */
@Injectable()
export class UnreadBodyGuard implements CanActivate {
  private readonly inputs = new HandlerInputsReader();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const inputs = this.inputs.of(context);
    if (inputs.readsBody) {
      if (sentEmptyJsonBody(request)) throw new BodyNotJson(EMPTY_BODY_MESSAGE);
      return true;
    }
    if (request.body === undefined || isEmptyObject(request.body)) return true;
    const options = inputs.readsQuery ? ' (its options go in the query string)' : '';
    throw new InvalidInput(
      `${request.method} ${request.routeOptions.url} takes no request body${options}, but got ${described(request.body)}; send no body or {}`,
    );
  }
}

function isEmptyObject(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0;
}

/** The body in a few words: the fields of an object (as "unknown field(s)" names them), else its kind. */
function described(body: unknown): string {
  if (Array.isArray(body)) return 'an array';
  if (body === null) return 'null';
  if (typeof body !== 'object') return `a ${typeof body}`;
  const fields = Object.keys(body as object);
  const named = fields.slice(0, 5).map((field) => (field.length > 40 ? `${field.slice(0, 40)}…` : field));
  return `field(s) ${named.join(', ')}${fields.length > named.length ? ` and ${fields.length - named.length} more` : ''}`;
}
