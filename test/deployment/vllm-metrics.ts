/**
 * The vLLM metrics Engram's alert rules read, under the names vLLM itself exports in the pinned image
 * (vllm/vllm-openai v0.11, V1 engine; vLLM's "Production Metrics" page and vllm/v1/metrics/loggers.py):
 * requests waiting for a slot, and KV-cache use from 0 to 1 (whose older name vllm:gpu_cache_usage_perc
 * is deprecated). No vLLM runs here, so this list stands in for a scrape of one.
 */
export const VLLM_METRICS: readonly string[] = ['vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc'];

/** Series Prometheus makes itself for every target. */
export const PROMETHEUS_SERIES: readonly string[] = ['up'];
