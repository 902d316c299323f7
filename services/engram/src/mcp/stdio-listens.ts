import { SUBSCRIPTION_ID_META_KEY, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { requestIdKey } from './mcp-call';
import { listenedResourceUris } from './mcp-resource-feed';

/**
 * The `subscriptions/listen` subscriptions open on one stdio connection and the resource URIs each names,
 * read off the messages passing (the SDK's router keeps its own to itself): the resource feed names them
 * when events were lost. Only subscriptions the server acknowledged are kept, so there are never more
 * than the router holds.
 */
export class StdioListens {
  private readonly named = new Map<string, string[]>();

  /** The server's acknowledgement opens a subscription, with the filter it honours. */
  noteOutbound(message: JSONRPCMessage): void {
    if (!('method' in message) || message.method !== 'notifications/subscriptions/acknowledged') return;
    const id = message.params?._meta?.[SUBSCRIPTION_ID_META_KEY];
    if (typeof id === 'string' || typeof id === 'number')
      this.named.set(requestIdKey(id), listenedResourceUris(message.params));
  }

  /** The client's cancellation of the listen request ends its subscription. */
  noteInbound(message: JSONRPCMessage): void {
    if (!('method' in message) || message.method !== 'notifications/cancelled') return;
    const requestId = message.params?.requestId;
    if (typeof requestId === 'string' || typeof requestId === 'number') this.named.delete(requestIdKey(requestId));
  }

  /** Every URI some open subscription names. */
  uris(): Set<string> {
    return new Set([...this.named.values()].flat());
  }
}
