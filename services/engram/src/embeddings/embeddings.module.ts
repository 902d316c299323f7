import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EMBEDDER, Embedder } from './embedder';
import { createEmbedder } from './embedder.factory';
import { adoptPreloadedEmbedder } from './embedder-preload';
import { EmbeddingService } from './embedding.service';

@Module({
  providers: [
    {
      provide: EMBEDDER,
      inject: [APP_CONFIG],
      // Loaded before the server listens: the model ships with the package, so this takes well under a second
      // (and the api started loading it first, see embedder-preload.ts).
      useFactory: async (config: AppConfig): Promise<Embedder> => {
        const preloaded = adoptPreloadedEmbedder(config.embedding);
        const embedder = preloaded?.embedder ?? createEmbedder(config.embedding);
        await (preloaded?.ready ?? embedder.init());
        // Once per start: which model and engine serve the vectors (the local one may have fallen back to WASM).
        new Logger('Embeddings').log({
          msg: 'Embedder ready',
          provider: embedder.provider,
          model: embedder.modelId,
          dimension: embedder.dimension,
          engine: embedder.engine,
        });
        return embedder;
      },
    },
    EmbeddingService,
  ],
  exports: [EMBEDDER, EmbeddingService],
})
export class EmbeddingsModule implements OnApplicationShutdown {
  constructor(@Inject(EMBEDDER) private readonly embedder: Embedder) {}

  async onApplicationShutdown(): Promise<void> {
    await this.embedder.close();
  }
}
