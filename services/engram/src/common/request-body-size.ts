import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';

/**
 * The largest body a route reads unless it declares @LargeBody. Most routes take a few fields (a key's
 * name, a search, an OAuth registration), and some answer without a credential (open registration, the
 * token endpoint): they must not buffer and parse megabytes of JSON for whoever sends it. The largest valid
 * body of such a route, every character \u-escaped, stays below this (a search: 4,000 + 64 × 100
 * characters).
 */
export const SMALL_BODY_BYTES = 64 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads bodies up to ENGRAM_MAX_BODY_BYTES, not SMALL_BODY_BYTES. */
    largeBody?: boolean;
  }
}

/** The route config for a route registered on fastify directly that takes large bodies (MCP). */
export const LARGE_BODY_ROUTE_CONFIG = { largeBody: true } as const;

/**
 * Declares a handler whose valid bodies can pass SMALL_BODY_BYTES (memory content, batches, transcripts,
 * files): it reads up to ENGRAM_MAX_BODY_BYTES.
 */
export function LargeBody(): MethodDecorator {
  return AddRouteConfig(LARGE_BODY_ROUTE_CONFIG);
}

/**
 * Adds to a handler's fastify route config. Nest's RouteConfig replaces it, and a handler may carry
 * several declarations (its access, its body size) in any order.
 */
export function AddRouteConfig(config: object): MethodDecorator {
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const current = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as object | undefined) ?? {};
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...current, ...config }, handler);
    return descriptor;
  };
}
