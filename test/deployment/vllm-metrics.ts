/**
 * The vLLM metrics Engram's alert rules and dashboard read, under the names vLLM itself exports in the
 * pinned image (vllm/vllm-openai v0.11, V1 engine; vLLM's "Production Metrics" page and
 * vllm/v1/metrics/loggers.py): requests waiting for a slot and running, KV-cache use from 0 to 1, and
 * generated tokens. The dashboard also reads the KV-cache gauge's older name, vllm:gpu_cache_usage_perc
 * (V0 engine; deprecated, then hidden), with `or`, for servers older than the pinned image. No vLLM
 * runs here, so this list stands in for a scrape of one.
 */
export const VLLM_METRICS: readonly string[] = [
  'vllm:num_requests_waiting',
  'vllm:num_requests_running',
  'vllm:kv_cache_usage_perc',
  'vllm:gpu_cache_usage_perc',
  'vllm:generation_tokens_total',
];

/** Series Prometheus makes itself for every target. */
export const PROMETHEUS_SERIES: readonly string[] = ['up'];
