#!/bin/sh
# Serves driaforall/mem-agent with the flags of the mem-agent reference (Dockerfile.vllm sets the defaults;
# the Helm chart passes the same flags to the upstream image). Extra arguments go to `vllm serve`.
# Not set on purpose: --reasoning-parser and tool-call parsers (the agent reads the <think> text itself).
set -eu
set -- \
  --served-model-name "$MEM_AGENT_SERVED_NAME" \
  --host 0.0.0.0 \
  --port 8000 \
  --max-model-len "$MEM_AGENT_MAX_MODEL_LEN" \
  --dtype "$MEM_AGENT_DTYPE" \
  --gpu-memory-utilization "$MEM_AGENT_GPU_MEMORY_UTILIZATION" \
  --generation-config auto \
  --override-generation-config "$MEM_AGENT_GENERATION_DEFAULTS" \
  "$@"
# With a key, /v1/* requires `Authorization: Bearer <key>`; Engram sends VLLM_API_KEY.
if [ -n "${VLLM_API_KEY:-}" ]; then
  set -- "$@" --api-key "$VLLM_API_KEY"
fi
exec vllm serve "$MEM_AGENT_MODEL" "$@"
