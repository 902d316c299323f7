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
    return { healthy: response.status === 200, summary: `GET ${url} answered ${response.status} in ${ms} ms` };
  } catch (error) {
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    return { healthy: false, summary: `GET ${url} failed: ${reason}` };
  }
}
