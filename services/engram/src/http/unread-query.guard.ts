import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InvalidInput } from '../common/domain-errors';
import { HandlerInputsReader } from './handler-inputs';

/** Parameter names shown in the refusal; the rest are counted. */
const NAMES_SHOWN = 5;

/**
 * Refuses query parameters the matched handler would never read, as UnreadBodyGuard refuses such a body:
 * `POST /api/search?limit=2` answered ten results and `GET /api/tags?limit=5` every tag, as if the
 * option had been taken, where a route that reads its query string names an unknown parameter (400).
 * A handler that reads the request itself (the event stream, OAuth) is left alone.
 */
@Injectable()
export class UnreadQueryGuard implements CanActivate {
  private readonly inputs = new HandlerInputsReader();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http' || this.inputs.of(context).readsQuery) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const names = Object.keys((request.query ?? {}) as object);
    if (names.length === 0) return true;
    const shown = names.slice(0, NAMES_SHOWN).map((name) => (name.length > 40 ? `${name.slice(0, 40)}…` : name));
    const more = names.length > shown.length ? ` and ${names.length - shown.length} more` : '';
    const where = this.inputs.of(context).readsBody ? ' (its options go in the request body)' : '';
    throw new InvalidInput(
      `${request.method} ${request.routeOptions.url} takes no query parameters${where}, but got ${shown.join(', ')}${more}; send none`,
    );
  }
}
