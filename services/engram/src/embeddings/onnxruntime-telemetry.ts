/**
 * Turns onnxruntime's telemetry off before a worker loads a model. Its Linux build starts Microsoft's 1DS
 * telemetry, which writes a session file (`.ses`) and a `mat-debug-<pid>.log` into the temporary directory
 * of every process that loads a model and never removes them; a self-hosted memory service reports nothing
 * home. Set on the main thread: onnxruntime reads the process's own environment from the worker thread,
 * and a worker's process.env is a copy whose changes never reach it.
 */
export function disableOnnxruntimeTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY = '1';
}
