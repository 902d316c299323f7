import { isLoopbackHost } from '../config/config.loader';
import { AppConfig } from '../config/config.types';

export interface BindDecision {
  host: string;
  /** Said once at start-up when the decision differs from what was asked, or opens the server wide. */
  warning?: string;
}

/**
 * Without an API key the memory is open to whoever can connect, so the server stays on loopback
 * unless the operator explicitly allows anonymous access.
 */
export function decideBindAddress(config: AppConfig): BindDecision {
  const { host } = config.http;
  if (config.auth.apiKey !== undefined || isLoopbackHost(host)) return { host };
  if (config.auth.allowAnonymous) {
    return {
      host,
      warning: `No MCP_API_KEY is set and MCP_ALLOW_ANONYMOUS_ACCESS=true: anyone who can reach ${host} can read and write every memory`,
    };
  }
  return {
    host: '127.0.0.1',
    warning: `No MCP_API_KEY is set, so Engram listens on 127.0.0.1 only instead of ${host}; set MCP_API_KEY (or MCP_ALLOW_ANONYMOUS_ACCESS=true) to listen on ${host}`,
  };
}
