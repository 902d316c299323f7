import type { ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';

/** How a handler reads its request, from the parameters it declares. */
export interface HandlerInputs {
  /** @Body (ZodBody), the raw body, the whole request (OAuth forms, uploads), or a custom decorator. */
  readsBody: boolean;
  /** @Query (ZodQuery), the whole request (the event stream, OAuth), or a custom decorator. */
  readsQuery: boolean;
}

/** Parameters through which a handler can see the body; a custom decorator might read anything. */
const BODY_READERS = new Set<number>([RouteParamtypes.BODY, RouteParamtypes.RAW_BODY, RouteParamtypes.REQUEST]);
const QUERY_READERS = new Set<number>([RouteParamtypes.QUERY, RouteParamtypes.REQUEST]);

/**
 * What the matched handler reads, from Nest's route argument metadata, so a route added later is covered
 * without declaring anything; remembered per handler.
 */
export class HandlerInputsReader {
  private readonly inputs = new WeakMap<object, HandlerInputs>();

  of(context: ExecutionContext): HandlerInputs {
    const handler = context.getHandler();
    let inputs = this.inputs.get(handler);
    if (!inputs) {
      const declared = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {};
      // Keys are `<type>:<index>`; a custom decorator's type is not a number.
      const types = Object.keys(declared).map((key) => Number(key.split(':')[0]));
      inputs = {
        readsBody: types.some((type) => Number.isNaN(type) || BODY_READERS.has(type)),
        readsQuery: types.some((type) => Number.isNaN(type) || QUERY_READERS.has(type)),
      };
      this.inputs.set(handler, inputs);
    }
    return inputs;
  }
}
