import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { ImportConfig } from '../config/config.types';

/** The one route that takes uploads. */
export const IMPORT_UPLOAD_PATH = '/api/import';

/**
 * `multipart/form-data` for the import route only: one file of at most ENGRAM_IMPORT_MAX_UPLOAD_BYTES,
 * streamed to disk by the controller (never buffered), plus a few small fields. Every other route
 * keeps answering 415 to multipart, as it does to any body that is not JSON.
 */
export function registerImportUploadParser(fastify: FastifyInstance, config: ImportConfig): void {
  void fastify.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 8, fieldSize: 1024, parts: 9, headerPairs: 100 },
    throwFileSizeLimit: true,
  });
  fastify.addHook('preValidation', async (request, reply) => {
    // The matched route, not the URL's text (`/api/%69mport` is the import route too).
    if (!request.isMultipart() || request.routeOptions.url === IMPORT_UPLOAD_PATH) return;
    await reply
      .status(415)
      .send({ error: 'unsupported_media_type', message: 'Unsupported Content-Type: send application/json' });
  });
}
