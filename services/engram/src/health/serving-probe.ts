import { ServingRecord } from './serving-record.repository';

export interface ProbeOptions {
  /** Ask /health/ready (needs the API key when one is set) instead of /health/live. */
  ready: boolean;
  apiKey?: string;
  timeoutMs: number;
}

export interface ProbeResult {
  healthy: boolean;
  /** One line for the operator: what was asked and what came back. */
  summary: string;
}

/** One GET of the recorded process's health path on loopback. */
export async function probeServing(record: ServingRecord, options: ProbeOptions): Promise<ProbeResult> {
  const url = `${record.url}${options.ready ? '/health/ready' : '/health/live'}`;
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const started = performance.now();
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
    await response.arrayBuffer();
    const ms = Math.round(performance.now() - started);
    const summary = `GET ${url} answered ${response.status} in ${ms} ms${keyAdvice(response.status, options)}`;
    return { healthy: response.status === 200, summary };
  } catch (error) {
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    return { healthy: false, summary: `GET ${url} failed: ${reason}` };
  }
}

/**
 * What to set when readiness refused the credential: a 401 or 403 says nothing of the server's health, only
 * that MCP_API_KEY is missing, wrong, or a key bound to a namespace (readiness figures cover the whole store).
 */
function keyAdvice(status: number, options: ProbeOptions): string {
  if (!options.ready) return '';
  if (status === 401 && !options.apiKey) return ': set MCP_API_KEY to a read key bound to no namespace';
  if (status === 401) return ': the server does not accept MCP_API_KEY; set it to a read key bound to no namespace';
  if (status === 403) return ': MCP_API_KEY is bound to a namespace; readiness needs a read key bound to none';
  return '';
}
