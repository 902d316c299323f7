import { EmbeddingConfig } from '../config/config.types';
import { Embedder } from './embedder';
import { createEmbedder } from './embedder.factory';

interface Preloaded {
  config: EmbeddingConfig;
  embedder: Embedder;
  ready: Promise<void>;
}

let preloaded: Preloaded | undefined;

/**
 * Starts the embedder before the api's modules are loaded, so that the local model loading on its
 * worker threads overlaps the main thread requiring Nest and the rest (~0.5 s of start-up on 2 cores).
 * EmbeddingsModule adopts it; `discard` closes it when the app never got that far.
 */
export function preloadEmbedder(config: EmbeddingConfig): { discard(): Promise<void> } {
  const embedder = createEmbedder(config);
  const ready = embedder.init();
  ready.catch(() => undefined); // the failure is reported where the embedder is adopted
  preloaded = { config, embedder, ready };
  return {
    async discard() {
      if (preloaded?.embedder !== embedder) return;
      preloaded = undefined;
      await embedder.close().catch(() => undefined);
    },
  };
}

/** The embedder preloaded for this very configuration, handed out once; undefined when there is none. */
export function adoptPreloadedEmbedder(config: EmbeddingConfig): Omit<Preloaded, 'config'> | undefined {
  if (preloaded?.config !== config) return undefined;
  const { embedder, ready } = preloaded;
  preloaded = undefined;
  return { embedder, ready };
}
