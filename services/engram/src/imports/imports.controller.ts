import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { RequireScope } from '../auth/route-access';
import { currentContext, currentNamespace } from '../auth/request-context';
import { ApiErrors, ZodQuery } from '../common/api-schema.decorators';
import { DomainError, InvalidInput } from '../common/domain-errors';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { JOB_QUEUE, JobQueue } from '../jobs/job-queue';
import { JobNotFound } from '../jobs/job.errors';
import { ImportJobData, JobName } from '../jobs/job.types';
import {
  IMPORT_HISTORY_SCAN,
  ImportHistoryInput,
  ImportHistoryQuery,
  ImportJobIdParam,
  ImportPathBody,
  ImportPathInput,
  ImportUploadFields,
  ImportUploadInput,
} from './imports.dto';
import { ImportUploadRepository } from './import-upload.repository';
import { ImportPathRefused, UploadTooLarge } from './imports.errors';
import { loadImporters } from './importer-registry';

const idPipe = new ZodValidationPipe(ImportJobIdParam, 'path');

/**
 * `POST /api/import`: a multipart upload (form fields first, then one file) or a JSON body naming a
 * path inside ENGRAM_IMPORT_DIR; answers 202 with the import job. `GET /api/import/:id` follows it
 * with the same scope as the upload needed, in the caller's namespace only.
 */
@ApiTags('import')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api/import')
export class ImportsController {
  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly uploads: ImportUploadRepository,
  ) {}

  @Get('sources')
  @ApiOperation({ summary: 'What can be imported, and which sources can go to the memory directory' })
  @ApiErrors(401)
  async sources() {
    return {
      sources: (await loadImporters()).map((importer) => ({
        source: importer.source,
        label: importer.label,
        memory_dir: importer.memoryDirFolder !== undefined,
      })),
    };
  }

  @Get()
  @ApiOperation({
    summary: `Import history of this namespace: its import jobs among its own ${IMPORT_HISTORY_SCAN} most recent jobs, newest first`,
  })
  @ApiErrors(400, 401, 503)
  async history(@ZodQuery(ImportHistoryQuery) query: ImportHistoryInput) {
    const namespace = currentNamespace();
    const jobs = (await this.queue.list(IMPORT_HISTORY_SCAN, namespace))
      .filter((job) => job.name === JobName.Import)
      .slice(0, query.limit);
    return { jobs };
  }

  @Post()
  @RequireScope('write')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Import an export or documents as a job: multipart upload (fields source, target, dry_run, then file) or JSON {path, source, target, dry_run} inside ENGRAM_IMPORT_DIR',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        source: { type: 'string' },
        target: { type: 'string', enum: ['memories', 'memory-dir', 'agent'] },
        dry_run: { type: 'boolean' },
        file: { type: 'string', format: 'binary' },
        path: { type: 'string' },
      },
    },
  })
  @ApiErrors(400, 401, 403, 404, 413, 415, 429, 503)
  async startImport(@Req() request: FastifyRequest, @Query() query: Record<string, unknown>) {
    const namespace = currentNamespace();
    let data: ImportJobData;
    if (request.isMultipart()) {
      data = await this.fromUpload(request, query, namespace);
    } else {
      refuseQueryString(query);
      const body = new ZodValidationPipe(ImportPathBody, 'body').transform(request.body) as ImportPathInput;
      refuseBoundCredential();
      await this.uploads.resolveAllowedPath(body.path);
      data = {
        source: body.source,
        target: body.target,
        dryRun: body.dry_run,
        namespace,
        input: { kind: 'path', path: body.path },
      };
    }
    try {
      const job = await this.queue.enqueue(JobName.Import, data);
      return { success: true, job_id: job.id, status_url: `/api/import/${job.id}`, job };
    } catch (error) {
      await this.uploads.remove(data.input);
      throw error;
    }
  }

  @Get(':id')
  @ApiOperation({ summary: 'An import job of this namespace: state, progress, and its summary once done' })
  @ApiErrors(400, 401, 404, 503)
  async get(@Param('id', idPipe) id: string) {
    return this.importOfCaller(id);
  }

  @Delete(':id')
  @RequireScope('write')
  @ApiOperation({
    summary:
      'Cancel an import of this namespace, as DELETE /api/jobs/:id does (which needs an admin key): waiting, it is removed; running, it stops at its next safe point',
  })
  @ApiErrors(400, 401, 403, 404, 409, 503)
  async cancel(@Param('id', idPipe) id: string) {
    await this.importOfCaller(id);
    return { success: true, job_id: id, status: await this.queue.cancel(id) };
  }

  /** The import job `id` when it was started in the caller's namespace; 404 otherwise, as for no job. */
  private async importOfCaller(id: string) {
    const job = await this.queue.get(id);
    if (!job || job.name !== JobName.Import || (job.data as ImportJobData).namespace !== currentNamespace()) {
      throw new JobNotFound(id);
    }
    return job;
  }

  /**
   * Reads the form in its order: the fields, then the file, streamed to the upload folder. Anything after
   * the file (a field, which would have come too late to change the import, or a second file) is refused,
   * and the upload already stored is removed; so is a field given twice, whose values would contradict.
   */
  private async fromUpload(
    request: FastifyRequest,
    query: Record<string, unknown>,
    namespace: string,
  ): Promise<ImportJobData> {
    const fields = new Map<string, string>();
    let options: ImportUploadInput | undefined;
    let upload: Extract<ImportJobData['input'], { kind: 'upload' }> | undefined;
    try {
      for await (const part of request.parts()) {
        if (upload) throw partAfterFile(part);
        if (part.type === 'field') {
          if (fields.has(part.fieldname)) throw fieldGivenTwice(part.fieldname, 'twice in the form');
          fields.set(part.fieldname, String(part.value));
          continue;
        }
        options = new ZodValidationPipe(ImportUploadFields, 'body').transform(uploadFields(query, fields));
        const saved = await this.uploads.save(part.file, part.filename || 'upload');
        upload = { kind: 'upload', uploadId: saved.uploadId, fileName: saved.fileName };
        if (saved.bytes === 0) throw new InvalidInput(`${saved.fileName} is empty (0 bytes)`);
      }
    } catch (error) {
      if (upload) await this.uploads.remove(upload);
      throw uploadError(error, this.uploads.maxUploadBytes);
    }
    if (!upload || !options)
      throw new InvalidInput('The multipart request holds no file: send the export as the "file" part');
    return { source: options.source, target: options.target, dryRun: options.dry_run, namespace, input: upload };
  }
}

/** The file is stored as it arrives, so what follows it could not be honoured: say how to send the form. */
function partAfterFile(part: Multipart): InvalidInput {
  if (part.type === 'file') return new InvalidInput('Send one file per import');
  return new InvalidInput(
    `The form field "${part.fieldname}" comes after the file: send the fields (source, target, dry_run) before the file part`,
  );
}

/**
 * ENGRAM_IMPORT_DIR is one folder for every namespace, where the operator may put any tenant's files: a
 * credential bound to a namespace could otherwise import another's export, or learn which files exist
 * there (404 against 202). Refused before the path is looked at, so the answer is the same for any path.
 */
function refuseBoundCredential(): void {
  if (currentContext().principal.boundNamespace === undefined) return;
  throw new ImportPathRefused(
    'Imports by path read the server folder every namespace shares (ENGRAM_IMPORT_DIR), which needs a key not bound to a namespace: upload the file instead',
  );
}

/** An import by path reads its options from the JSON body alone: a query string beside it would be ignored. */
function refuseQueryString(query: Record<string, unknown>): void {
  const names = Object.keys(query);
  if (names.length === 0) return;
  throw new InvalidInput(
    `The query string (${names.join(', ')}) is read only with a multipart upload: put source, target and dry_run in the JSON body`,
  );
}

/**
 * The form's fields and the query string's as one set: a field given in both would have one value
 * silently win, so it is refused as a repeated form field is (and one repeated in the query string).
 */
function uploadFields(query: Record<string, unknown>, fields: Map<string, string>): Record<string, unknown> {
  const repeated = Object.keys(query).find((name) => Array.isArray(query[name]));
  if (repeated !== undefined) throw fieldGivenTwice(repeated, 'twice in the query string');
  const inBoth = [...fields.keys()].find((name) => Object.hasOwn(query, name));
  if (inBoth !== undefined) throw fieldGivenTwice(inBoth, 'in the query string and in the form');
  return { ...query, ...Object.fromEntries(fields) };
}

function fieldGivenTwice(name: string, where: string): InvalidInput {
  return new InvalidInput(`The field "${name}" is given ${where}: send each of source, target and dry_run once`);
}

function uploadError(error: unknown, maxUploadBytes: number): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new UploadTooLarge(maxUploadBytes);
  if (code === 'FST_FILES_LIMIT') return new InvalidInput('Send one file per import');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return new InvalidInput('Too many form fields; send source, target, dry_run and one file');
  // Our own errors and fastify's keep their status; a failed system call (a full disk) is the server's;
  // anything else the multipart parser raises ("Unexpected end of form", "Boundary not found") is a
  // malformed request.
  const { statusCode, syscall } = error as { statusCode?: unknown; syscall?: unknown };
  if (error instanceof DomainError || typeof statusCode === 'number' || syscall !== undefined) return error;
  return new InvalidInput(`The multipart body cannot be read: ${(error as Error).message}`);
}
