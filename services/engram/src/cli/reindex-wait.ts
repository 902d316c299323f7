import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/config.types';
import { createEmbedder } from '../embeddings/embedder.factory';
import { canonicalModelId } from '../storage/embedding-model-id';
import { openStores } from '../storage/storage.module';
import { storeIsNew } from '../storage/store-location';

/** How often the stored model is read again: one row of settings. */
const POLL_MS = 2000;
/** How often a wait that goes on says so, for whoever reads the pod's log. */
const REPORT_EVERY_MS = 60_000;

/**
 * `engram reindex --wait`: re-embeds nothing, and exits 0 once the store's vectors are the configured
 * model's (at once when they are, or when it holds none yet). Another process re-embeds them (the Helm
 * chart's reindex Job), so api and worker pods start on a store of their model instead of refusing it (the
 * api) or taking jobs whose writes and searches the model guard refuses (the worker). The model id is known
 * without loading the model, so waiting costs one read every POLL_MS.
 */
export async function waitForConfiguredModel(config: AppConfig): Promise<number> {
  const configured = createEmbedder(config.embedding).modelId;
  if (storeIsNew(config.storage)) {
    process.stderr.write(`no database at ${config.storage.sqlitePath} yet; nothing to wait for\n`);
    return 0;
  }
  const stores = await openStores(config);
  try {
    const started = Date.now();
    let reported = 0;
    for (;;) {
      const stored = canonicalModelId((await stores.settings.embeddingModel())?.modelId);
      if (stored === undefined || stored === configured) {
        process.stderr.write(
          `the database holds ${stored ?? 'no'} vectors${stored ? '' : ' yet'}; ${configured} is configured\n`,
        );
        return 0;
      }
      if (reported === 0 || Date.now() - reported >= REPORT_EVERY_MS) {
        const waited =
          reported === 0 ? 'waiting' : `still waiting after ${Math.round((Date.now() - started) / 60_000)} min`;
        process.stderr.write(
          `the database holds ${stored} vectors, the configured model is ${configured}; ${waited} for a reindex ` +
            '(the Helm chart’s reindex Job, or `engram reindex` with that model) to re-embed them\n',
        );
        reported = Date.now();
      }
      await sleep(POLL_MS);
    }
  } finally {
    await stores.close();
  }
}
