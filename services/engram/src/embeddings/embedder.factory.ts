import { EmbeddingConfig } from '../config/config.types';
import { Embedder } from './embedder';
import { LocalUseEmbedder } from './local-use.embedder';
import { OnnxEmbedder } from './onnx.embedder';
import { OpenAiEmbedder } from './openai.embedder';

/** The configured provider, not yet initialised (call `init()`). */
export function createEmbedder(config: EmbeddingConfig): Embedder {
  switch (config.provider) {
    case 'local':
      return new LocalUseEmbedder({
        batchSize: config.batchSize,
        workers: config.localWorkers,
        precision: config.localPrecision,
      });
    case 'onnx':
      if (!config.onnxModelDir) throw new Error('The onnx embedding provider needs onnxModelDir');
      return new OnnxEmbedder({
        modelDir: config.onnxModelDir,
        batchSize: config.batchSize,
      });
    case 'openai':
      if (!config.openaiBaseUrl || !config.openaiModel) {
        throw new Error('The openai embedding provider needs openaiBaseUrl and openaiModel');
      }
      return new OpenAiEmbedder({
        baseUrl: config.openaiBaseUrl,
        model: config.openaiModel,
        apiKey: config.openaiApiKey,
        dimension: config.openaiDimension,
        batchSize: config.batchSize,
        requestTimeoutMs: config.requestTimeoutMs,
      });
  }
}
