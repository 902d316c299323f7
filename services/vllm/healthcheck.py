#!/usr/bin/env python3
"""Container health check of the vLLM server: exit 0 when /health answers 200 (compose and the image)."""
import sys
import urllib.request

try:
    with urllib.request.urlopen("http://127.0.0.1:8000/health", timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as error:  # any failure to answer is "unhealthy"; say why in the health log
    print(f"vLLM /health: {error}", file=sys.stderr)
    sys.exit(1)
