import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { AddRouteConfig } from '../common/request-body-size';
import { Scope } from './scopes';

/**
 * What a route needs, declared on the route itself and read by the auth hook from the route the router
 * matched (never from the URL text, which the router decodes and cuts at `#` differently).
 */
export interface RouteAccess {
  /**
   * `public`: no credential at all (liveness, the dashboard's files, OAuth discovery); `credential`: any
   * valid credential, whatever its scopes, for an endpoint that checks scopes itself (MCP, per tool).
   */
  scope: Scope | 'public' | 'credential';
  /**
   * Whole-store routes (keys, backups, jobs, figures about every namespace) refuse a credential bound
   * to a namespace. Always true for `admin`.
   */
  wholeStore: boolean;
  /** The event stream: EventSource cannot send headers, so the key may come as `?api_key=`. */
  queryKey: boolean;
}

export interface AccessOptions {
  wholeStore?: boolean;
  queryKey?: boolean;
}

/** The fastify route config key the declaration travels under. */
export interface AccessRouteConfig {
  access?: RouteAccess;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

/** The route config for a route registered on fastify directly (MCP, the dashboard's files, the worker). */
export function routeAccess(scope: RouteAccess['scope'], options: AccessOptions = {}): AccessRouteConfig {
  return {
    access: {
      scope,
      wholeStore: scope === 'admin' || options.wholeStore === true,
      queryKey: options.queryKey === true,
    },
  };
}

/**
 * Declares the scope a controller's routes (or one handler) need. On a controller it covers every handler
 * that does not declare its own, except that a controller-wide `read` never covers a handler that changes
 * something (POST, PUT, DELETE, PATCH): such a handler declares its own scope, so a route added later
 * cannot inherit `read` by accident. Every route declares one (a test walks the route table); a route
 * that does not is refused.
 */
export function RequireScope(scope: Scope, options: AccessOptions = {}): ClassDecorator & MethodDecorator {
  return declare(routeAccess(scope, options));
}

/** Declares routes that need no credential; they must hold no data. */
export function PublicRoute(): ClassDecorator & MethodDecorator {
  return declare(routeAccess('public'));
}

const HANDLER_DECLARED = Symbol('engram:access-declared');

/** Whether a Nest handler answers a method other than GET or HEAD (its @Post/@Put/… metadata). */
function changesState(handler: object): boolean {
  const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  return method !== undefined && method !== RequestMethod.GET && method !== RequestMethod.HEAD;
}

function declare(config: AccessRouteConfig): ClassDecorator & MethodDecorator {
  const onHandler = AddRouteConfig(config);
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      // Method decorators run before the class decorator: mark the handler so the class does not overwrite it.
      (descriptor.value as Record<symbol, boolean>)[HANDLER_DECLARED] = true;
      return onHandler(target, key!, descriptor);
    }
    const prototype = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = Object.getOwnPropertyDescriptor(prototype, name);
      if (name === 'constructor' || typeof handler?.value !== 'function') continue;
      if ((handler.value as Record<symbol, boolean>)[HANDLER_DECLARED]) continue;
      if (config.access?.scope === 'read' && changesState(handler.value as object)) continue;
      onHandler(prototype, name, handler);
    }
  }) as ClassDecorator & MethodDecorator;
}
