#!/bin/sh
# Serves driaforall/mem-agent with the flags of the mem-agent reference (the Helm chart passes the same
# flags to the upstream image). Extra arguments go to `vllm serve`.
# Not set on purpose: --reasoning-parser and tool-call parsers (the agent reads the <think> text itself).
set -eu
# The serving defaults, in this one place: Compose passes a variable .env leaves unset as unset (which
# removes an image ENV default), so each falls back here when it is missing or empty.
: "${MEM_AGENT_MODEL:=driaforall/mem-agent}"
: "${MEM_AGENT_SERVED_NAME:=$MEM_AGENT_MODEL}"
: "${MEM_AGENT_MAX_MODEL_LEN:=32768}"
: "${MEM_AGENT_DTYPE:=bfloat16}"
: "${MEM_AGENT_GPU_MEMORY_UTILIZATION:=0.9}"
: "${MEM_AGENT_GENERATION_DEFAULTS:={\"temperature\":0.6,\"top_p\":0.95,\"top_k\":20,\"min_p\":0\}}"
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
