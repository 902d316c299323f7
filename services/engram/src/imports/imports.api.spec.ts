import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryDirectoryRepository } from '../agent/memory-dir/memory-directory.repository';
import { MemoryFunctions } from '../agent/memory-dir/memory-functions';
import { startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { endlessUpload, rawAnswer, uploadAfterAnswer } from '../testing/raw-request';
import { openSse } from '../testing/sse-client';
import { startTestApp, TestApp } from '../testing/test-app';
import { chatGptExport, engramExport, engramExportMemory, memoryGraphJsonl, zipOf } from '../testing/import-fixtures';

const ADMIN = 'import-admin-key-0123456789';
const UPLOAD_LIMIT = 256 * 1024;

describe('POST /api/import (real api on loopback, inline jobs, real SQLite)', () => {
  let api: TestApp;
  let model: Awaited<ReturnType<typeof startOpenAiEmbeddingsTestDouble>>;
  let importDir: string;
  const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
  const admin = (method: string, path: string, options: { body?: unknown } = {}) =>
    api.request(method, path, { ...options, ...as(ADMIN) });
  const chatgptZip = zipOf([
    { name: 'conversations.json', data: JSON.stringify(chatGptExport(5)) },
    { name: 'chat.html', data: '<html></html>' },
  ]);

  async function upload(name: string, data: Buffer | string, fields: Record<string, string> = {}, key = ADMIN) {
    const form = new FormData();
    for (const [field, value] of Object.entries(fields)) form.append(field, value);
    form.append('file', new Blob([typeof data === 'string' ? data : new Uint8Array(data)]), name);
    const response = await fetch(`${api.url}/api/import`, { method: 'POST', body: form, headers: as(key).headers });
    return { status: response.status, body: (await response.json()) as any };
  }

  async function finished(id: string, key = ADMIN): Promise<any> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const job = await api.request('GET', `/api/import/${id}`, as(key));
      assert.equal(job.status, 200, job.text);
      if (['completed', 'failed', 'cancelled'].includes(job.body.state)) return job.body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.fail(`import ${id} did not finish`);
  }

  async function imported(name: string, data: Buffer | string, fields: Record<string, string> = {}) {
    const queued = await upload(name, data, fields);
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    return finished(queued.body.job_id);
  }

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'import-model' });
    api = await startTestApp({
      MCP_API_KEY: ADMIN,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
      ENGRAM_IMPORT_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
    });
    importDir = join(api.dir, 'imports');
    mkdirSync(importDir);
    // ENGRAM_IMPORT_DIR is read at start-up; restart on the same folder with it set.
    await api.close({ keepDir: true });
    api = await startTestApp(
      {
        MCP_API_KEY: ADMIN,
        ENGRAM_EMBEDDING_PROVIDER: 'openai',
        MCP_EXTERNAL_EMBEDDING_URL: model.url,
        MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
        ENGRAM_IMPORT_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
        ENGRAM_IMPORT_DIR: importDir,
      },
      api.dir,
    );
  });
  after(async () => {
    await api?.close();
    await model?.close();
  });

  it('imports a ChatGPT export upload as a job: progress, a summary, and memories with their provenance', async () => {
    const job = await imported('chatgpt-export.zip', chatgptZip);
    assert.equal(job.state, 'completed', job.error);
    assert.equal(job.progress, 100);
    assert.deepEqual(
      {
        source: job.result.source,
        documents: job.result.documents,
        items_read: job.result.items_read,
        stored: job.result.stored,
        duplicates: job.result.duplicates,
        failed: job.result.failed,
      },
      { source: 'chatgpt', documents: 5, items_read: 10, stored: 10, duplicates: 0, failed: 0 },
    );
    assert.ok(!JSON.stringify(job.data).includes(api.dir), 'no host path in the job');
    const listed = await admin('GET', '/api/memories?tag=chatgpt&page_size=100&order=oldest');
    assert.equal(listed.body.total, 10);
    const memory = listed.body.memories.find((entry: any) => entry.content.includes('organise project 3'));
    assert.equal(memory.memory_type, 'conversation');
    assert.equal(memory.metadata.conversation_title, 'Planning topic 3');
    assert.equal(memory.metadata.import.original_id, 'conv-3');
    assert.equal(memory.metadata.import.file, 'conversations.json');
    assert.equal(memory.created_at_iso, '2024-05-08T13:56:00.000Z', 'the conversation time, not the import time');
    assert.deepEqual(readdirSync(join(api.dir, 'data', 'import-uploads')), [], 'the upload is removed once imported');
  });

  it('words its progress for one document as people write it: 1 document, 1 memory, 1 file', async () => {
    const stages = await importStages('first-note.md', '# First\n\nThe first note of a new user.');
    assert.ok(stages.includes('checked 1 document (1 memory)'), stages.join(' | '));
    assert.ok(stages.includes('stored 1 of 1 memory (0 duplicates)'), stages.join(' | '));
    const again = await importStages('first-note.md', '# First\n\nThe first note of a new user.');
    assert.ok(again.includes('stored 0 of 1 memory (1 duplicate)'), again.join(' | '));
    const written = await importStages('agent-note.md', '# Agent\n\nA note for the agent.', { target: 'memory-dir' });
    assert.ok(written.includes('wrote 1 of 1 file'), written.join(' | '));
  });

  /** The stages the import of one upload announces in its job_progress events, in order. */
  async function importStages(name: string, data: string, fields: Record<string, string> = {}): Promise<string[]> {
    const stream = await openSse(`${api.url}/api/events/stream?frames=named&types=job_progress,job_completed`, {
      authorization: `Bearer ${ADMIN}`,
    });
    try {
      const job = await imported(name, data, fields);
      assert.equal(job.state, 'completed', job.error);
      const ofJob = () => stream.named().filter((frame) => frame.data.payload.job_id === job.id);
      await stream.waitFor(() => ofJob().some((frame) => frame.event === 'job_completed'));
      return ofJob()
        .filter((frame) => frame.event === 'job_progress')
        .map((frame) => frame.data.payload.stage as string);
    } finally {
      stream.close();
    }
  }

  it('re-importing the same file stores nothing twice', async () => {
    const job = await imported('chatgpt-export.zip', chatgptZip);
    assert.equal(job.result.stored, 0);
    assert.equal(job.result.duplicates, 10);
    assert.equal((await admin('GET', '/api/memories?tag=chatgpt')).body.total, 10);
  });

  it('a dry run reports what would happen and writes nothing', async () => {
    const job = await imported('more.json', JSON.stringify(chatGptExport(7)), { source: 'chatgpt', dry_run: 'true' });
    assert.equal(job.state, 'completed', job.error);
    assert.deepEqual(
      [job.result.dry_run, job.result.items_read, job.result.duplicates, job.result.stored],
      [true, 14, 10, 0],
    );
    assert.equal((await admin('GET', '/api/memories?tag=chatgpt')).body.total, 10);
  });

  it('reads an upload past the 64 KiB body limit of small routes whole: the import route limits uploads by ENGRAM_IMPORT_MAX_UPLOAD_BYTES', async () => {
    const large = JSON.stringify(chatGptExport(100));
    assert.ok(large.length > 2 * 64 * 1024, `${large.length} bytes`);
    const job = await imported('conversations.json', large, { source: 'chatgpt', dry_run: 'true' });
    assert.equal(job.state, 'completed', job.error);
    assert.deepEqual([job.result.documents, job.result.items_read, job.result.failed], [100, 200, 0]);
  });

  it('a malformed conversation is one failure naming its position; a file that cannot be read at all fails its job and stores nothing', async () => {
    const broken = `${JSON.stringify(chatGptExport(2)).slice(0, -1)},\n{"title": "x", "mapping": {"a": tru}}]`;
    const job = await imported('conversations.json', broken, { source: 'chatgpt', dry_run: 'true' });
    assert.equal(job.state, 'completed', job.error);
    assert.equal(job.result.failed, 1);
    assert.equal(job.result.failures[0].item, 'conversations.json, conversation 3 (line 2)');
    assert.match(job.result.failures[0].reason, /^not valid JSON: /);
    assert.ok(job.result.items_read > 0, 'the other two conversations were read');
    const before = (await admin('GET', '/api/memories')).body.total;
    const garbage = await imported('conversations.json', Buffer.from([0x50, 0x4b, 0x03, 0x04, 9, 9, 9, 0, 0, 1]), {});
    assert.equal(garbage.state, 'failed');
    assert.match(garbage.error, /conversations\.json is not a readable ZIP archive/);
    assert.equal((await admin('GET', '/api/memories')).body.total, before);
  });

  it('an MCP Memory Service export keeps its good memories and lists each bad one with its position, as an Engram export does; a dry run reports the same and writes nothing', async () => {
    const memory = (content: string, hash: string) =>
      JSON.stringify({ content, content_hash: hash, tags: ['mcp-partial'], memory_type: 'note' });
    const exported = [
      '{"export_metadata": {"total_memories": 5}, "memories": [',
      `${memory('The boat is moored at pier 4', 'p1')},`,
      '{"content": "A memory with a broken value", "content_hash": tru},',
      `${memory('The harbour master is Inês', 'p2')},`,
      '{"content": "", "content_hash": "p3"},',
      `${memory('Fuel is cheaper on Tuesdays', 'p4')}`,
      ']}',
    ].join('\n');
    const expected = [
      { item: 'export_memories.json, memory 2 (line 3)', reason: 'not valid JSON' },
      { item: 'export_memories.json, memory 4 ("p3", line 5)', reason: '"content" is empty' },
    ];
    const firstWords = (failures: { item: string; reason: string }[]) =>
      failures.map(({ item, reason }) => ({ item, reason: reason.replace(/^(not valid JSON):.*/, '$1') }));

    const dry = await imported('export_memories.json', exported, { dry_run: 'true' });
    assert.equal(dry.state, 'completed', dry.error);
    assert.deepEqual(
      [dry.result.source, dry.result.dry_run, dry.result.items_read, dry.result.stored, dry.result.failed],
      ['mcp-memory-service', true, 3, 0, 2],
    );
    assert.deepEqual(firstWords(dry.result.failures), expected);
    assert.equal((await admin('GET', '/api/memories?tag=mcp-partial')).body.total, 0, 'a dry run writes nothing');

    const job = await imported('export_memories.json', exported);
    assert.equal(job.state, 'completed', job.error);
    assert.deepEqual([job.result.stored, job.result.failed], [3, 2]);
    assert.deepEqual(firstWords(job.result.failures), expected);
    const stored = (await admin('GET', '/api/memories?tag=mcp-partial')).body.memories;
    assert.deepEqual(stored.map((memory: { content: string }) => memory.content).sort(), [
      'Fuel is cheaper on Tuesdays',
      'The boat is moored at pier 4',
      'The harbour master is Inês',
    ]);

    const cut = await imported('cut_memories.json', `[${memory('Kept before the cut', 'c1')},\n{"content": "Lost`);
    assert.equal(cut.state, 'completed', cut.error);
    assert.deepEqual([cut.result.stored, cut.result.failed], [1, 1]);
    assert.deepEqual(cut.result.failures, [
      { item: 'cut_memories.json, memory 2 (line 2)', reason: 'the file ends inside it (truncated?)' },
    ]);
    // Named: with no array of memories it does not look like an export (detection takes it for a document).
    const unreadable = await imported('export_memories.json', '{"memories": {"content_hash": "x", "content": 1', {
      source: 'mcp-memory-service',
    });
    assert.equal(unreadable.state, 'failed');
    assert.match(unreadable.error, /export_memories\.json: malformed JSON .* \(truncated\?\)/);
  });

  it('a quote left unescaped inside one memory or conversation costs that item alone: the rest of an MCP Memory Service export or a ChatGPT conversations.json is stored, and the failure names the quote', async () => {
    // As Python's json.dump(indent=2) writes it, with one quote in one memory written without its backslash.
    const memories = ['The kayak is in shed 2', 'The ferry leaves from "pier 2 at noon', 'Tide tables are online'];
    const exported = JSON.stringify(
      {
        export_metadata: { total_memories: 3 },
        memories: memories.map((content, i) => ({ content, content_hash: `quote-${i}`, tags: ['quote-mcp'] })),
      },
      null,
      2,
    ).replace('from \\"pier', 'from "pier');
    /** Where `marker` starts in `text`, as failures name places (1-based). */
    const at = (text: string, marker: string) => {
      const before = text.slice(0, text.indexOf(marker));
      return { line: before.split('\n').length, column: before.length - before.lastIndexOf('\n') };
    };
    const quoteAt = (text: string, marker: string) =>
      `line ${at(text, marker).line}, column ${at(text, marker).column}`;
    const mcp = await imported('export_memories.json', exported);
    assert.equal(mcp.state, 'completed', mcp.error);
    assert.deepEqual([mcp.result.source, mcp.result.stored, mcp.result.failed], ['mcp-memory-service', 2, 1]);
    assert.deepEqual(mcp.result.failures, [
      {
        item: `export_memories.json, memory 2 (line ${at(exported, '{\n      "content": "The ferry').line})`,
        reason: `not valid JSON: a quote inside a text is not escaped (or a bracket is out of place) at ${quoteAt(exported, '"pier')}`,
      },
    ]);
    const stored = (await admin('GET', '/api/memories?tag=quote-mcp')).body.memories;
    assert.deepEqual(stored.map((memory: { content: string }) => memory.content).sort(), [
      'The kayak is in shed 2',
      'Tide tables are online',
    ]);

    const broken = JSON.stringify(chatGptExport(3)).replace('Split project 1 into', 'Split "project 1 into');
    const chatgpt = await imported('conversations.json', broken, { source: 'chatgpt' });
    assert.equal(chatgpt.state, 'completed', chatgpt.error);
    assert.deepEqual([chatgpt.result.documents, chatgpt.result.failed], [2, 1]);
    assert.deepEqual(chatgpt.result.failures, [
      {
        item: 'conversations.json, conversation 2 (line 1)',
        reason: `not valid JSON: a quote inside a text is not escaped (or a bracket is out of place) at ${quoteAt(broken, '"project 1')}`,
      },
    ]);
  });

  it('a failed import names the source its file was read as, or "unknown" when none was recognised, beside the reason', async () => {
    const future = await imported(
      'future.ndjson',
      engramExport([engramExportMemory('From a later build')], '{"format":"engram-export","version":99}'),
    );
    assert.equal(future.state, 'failed');
    assert.equal(future.data.source, 'auto', 'what was asked stays as asked');
    assert.deepEqual(future.details, { source: 'engram', source_label: 'Engram export (NDJSON)' });
    assert.match(future.error, /future\.ndjson: not an Engram export of a version this build reads/);

    const elsewhere = await imported('export.ndjson', engramExport([engramExportMemory('x')]), {
      target: 'memory-dir',
    });
    assert.equal(elsewhere.state, 'failed');
    assert.equal(elsewhere.details.source, 'engram');
    assert.match(elsewhere.error, /Engram export \(NDJSON\) cannot be written to the memory directory/);

    const unreadable = await imported('backup.zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 9, 9, 9, 0, 0, 1]));
    assert.equal(unreadable.state, 'failed');
    assert.deepEqual(unreadable.details, { source: 'unknown' });
    assert.match(unreadable.error, /backup\.zip is not a readable ZIP archive/);

    const unknown = await imported('blob.bin', Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]));
    assert.equal(unknown.state, 'failed');
    assert.deepEqual(unknown.details, { source: 'unknown' });
    assert.match(unknown.error, /blob\.bin: cannot tell what kind of export this is; name the source/);

    const history = (await admin('GET', '/api/import?limit=4')).body.jobs;
    assert.deepEqual(
      history.map((job: { details: { source: string } }) => job.details.source),
      ['unknown', 'unknown', 'engram', 'engram'],
    );
  });

  it('never stores memory_type memory_file: an Engram export skips its memory directory entries, another source reports them', async () => {
    const engram = await imported(
      'reserved.ndjson',
      engramExport([
        engramExportMemory('A memory the export carries'),
        engramExportMemory('A line posing as a memory directory entry', { memory_type: 'memory_file' }),
        engramExportMemory('The same in other letters', { memory_type: ' Memory_File' }),
      ]),
    );
    assert.equal(engram.state, 'completed', engram.error);
    assert.deepEqual([engram.result.source, engram.result.stored, engram.result.failed], ['engram', 1, 0]);
    const mcp = await imported(
      'export_memories.json',
      JSON.stringify({
        memories: [
          { content: 'An MCP Memory Service memory', content_hash: 'mcp-1', memory_type: 'note' },
          { content: 'Another posing as a memory directory entry', content_hash: 'mcp-2', memory_type: 'memory_file' },
        ],
      }),
    );
    assert.equal(mcp.state, 'completed', mcp.error);
    assert.deepEqual([mcp.result.source, mcp.result.stored, mcp.result.failed], ['mcp-memory-service', 1, 1]);
    assert.deepEqual(mcp.result.failures, [
      {
        item: 'export_memories.json, memory 2 ("Another posing as a memory directory entry", line 1)',
        reason: '"memory_type" names memory_file, a type only Engram writes (the memory directory\'s search entries)',
      },
    ]);
    assert.equal((await admin('GET', '/api/memories?memory_type=memory_file')).body.total, 0);
  });

  it('detects an Engram export by its header however it is written, and refuses a time past the date range by line', async () => {
    const beyond = 9007199254740991;
    const job = await imported(
      'python-written.ndjson',
      engramExport(
        [
          engramExportMemory('A memory written out by another tool'),
          engramExportMemory('A memory created after the last valid date', { created_at: beyond }),
          engramExportMemory('A memory updated after the last valid date', { updated_at: beyond }),
        ],
        '{"version": 1, "exported_at": "2026-01-02T03:04:05Z", "format": "engram-export"}',
      ),
    );
    assert.equal(job.state, 'completed', job.error);
    assert.deepEqual([job.result.source, job.result.stored, job.result.failed], ['engram', 1, 2]);
    assert.deepEqual(
      job.result.failures.map((failure: { item: string; reason: string }) => [failure.item, failure.reason]),
      [
        [
          'python-written.ndjson, line 3',
          '"created_at" is 9007199254740991: epoch milliseconds above 8640000000000000 are past the valid date range',
        ],
        [
          'python-written.ndjson, line 4',
          '"updated_at" is 9007199254740991: epoch milliseconds above 8640000000000000 are past the valid date range',
        ],
      ],
    );
  });

  it('refuses bad requests with 4xx naming the problem: an empty file, unknown fields, oversized uploads, multipart elsewhere', async () => {
    const empty = await upload('empty.json', '');
    assert.equal(empty.status, 400);
    assert.match(empty.body.message, /empty\.json is empty/);
    const unknownSource = await upload('a.json', '[]', { source: 'myspace' });
    assert.equal(unknownSource.status, 400);
    assert.match(unknownSource.body.message, /source/);
    const huge = await upload('huge.txt', Buffer.alloc(300 * 1024, 0x61));
    assert.equal(huge.status, 413);
    assert.match(huge.body.message, /ENGRAM_IMPORT_MAX_UPLOAD_BYTES/);
    const form = new FormData();
    form.append('file', new Blob(['x']), 'x.txt');
    const elsewhere = await fetch(`${api.url}/api/memories`, {
      method: 'POST',
      body: form,
      headers: as(ADMIN).headers,
    });
    assert.equal(elsewhere.status, 415);
    const noFile = await admin('POST', '/api/import', { body: { source: 'chatgpt' } });
    assert.equal(noFile.status, 400);
    for (const contentType of ['multipart/form-data; boundary=xyz', 'multipart/form-data']) {
      const malformed = await fetch(`${api.url}/api/import`, {
        method: 'POST',
        body: 'garbage',
        headers: { ...as(ADMIN).headers, 'content-type': contentType },
      });
      assert.equal(malformed.status, 400, contentType);
      assert.match(((await malformed.json()) as { message: string }).message, /multipart body cannot be read/);
    }
    // The import route is the import route however its path is spelled (the check is by route, not URL text).
    const emptyFile = new FormData();
    emptyFile.append('file', new Blob(['']), 'spelled.md');
    const spelled = await fetch(`${api.url}/api/%69mport`, {
      method: 'POST',
      body: emptyFile,
      headers: as(ADMIN).headers,
    });
    assert.equal(spelled.status, 400, 'read as an upload: its file is empty');
    assert.match(((await spelled.json()) as { message: string }).message, /spelled\.md is empty/);
  });

  it('answers an upload still streaming far past ENGRAM_IMPORT_MAX_UPLOAD_BYTES with the 413 naming the limit, never a reset', async () => {
    const boundary = 'engram-oversized-upload';
    const opening = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.txt"\r\n\r\n`,
    );
    const headers = { ...as(ADMIN).headers, 'content-type': `multipart/form-data; boundary=${boundary}` };
    for (const framing of [{ contentLength: 64 * UPLOAD_LIMIT }, 'chunked'] as const) {
      const uploads = [1, 2, 3].map(() => endlessUpload(api.url, '/api/import', headers, framing, opening));
      for (const { received, sent, reset } of await Promise.all(uploads)) {
        const what = `${JSON.stringify(framing)}: after ${sent} bytes sent, ${reset ? 'a reset' : 'a close'}`;
        assert.match(received, /^HTTP\/1\.1 413 /, `${what} and ${received.slice(0, 80) || 'no answer'}`);
        const answer = rawAnswer(received);
        assert.equal(answer.body.error, 'payload_too_large');
        assert.equal(
          answer.body.message,
          `The upload is larger than ${UPLOAD_LIMIT} bytes (ENGRAM_IMPORT_MAX_UPLOAD_BYTES)`,
        );
      }
    }
    // A client that reads the 413 before it sends the rest must not then meet a reset that wipes it out.
    const overLimit = Buffer.concat([opening, Buffer.alloc(UPLOAD_LIMIT + 64 * 1024, 'a')]);
    const late = await uploadAfterAnswer(api.url, '/api/import', headers, 64 * UPLOAD_LIMIT, 1024 * 1024, overLimit);
    assert.match(late.received, /^HTTP\/1\.1 413 /);
    assert.equal(late.reset, false, `the server reset the connection after ${late.sent} bytes`);
    assert.equal(late.sent, overLimit.length + 1024 * 1024);
    assert.deepEqual(readdirSync(join(api.dir, 'data', 'import-uploads')), [], 'no upload left behind');
    assert.equal((await admin('GET', '/api/health')).status, 200, 'the api serves on');
  });

  it('refuses a field or a second file after the file with 400 saying so, queues nothing and keeps no upload', async () => {
    const send = async (parts: [string, string, string?][]) => {
      const form = new FormData();
      for (const [name, value, fileName] of parts) {
        if (fileName) form.append(name, new Blob([value]), fileName);
        else form.append(name, value);
      }
      const response = await fetch(`${api.url}/api/import`, { method: 'POST', body: form, headers: as(ADMIN).headers });
      return { status: response.status, body: (await response.json()) as any };
    };
    const memories = (await admin('GET', '/api/memories')).body.total;
    const jobs = (await admin('GET', '/api/import?limit=100')).body.jobs.length;
    const note = '# Late fields\n\nThis note must not be stored by a dry run.';
    const lateField = await send([
      ['file', note, 'late.md'],
      ['dry_run', 'true'],
    ]);
    assert.equal(lateField.status, 400, JSON.stringify(lateField.body));
    assert.match(lateField.body.message, /"dry_run" comes after the file: send the fields .* before the file part/);
    const twoFiles = await send([
      ['source', 'markdown'],
      ['file', note, 'first.md'],
      ['file', '# Second', 'second.md'],
    ]);
    assert.equal(twoFiles.status, 400, JSON.stringify(twoFiles.body));
    assert.match(twoFiles.body.message, /one file per import/);
    assert.equal((await admin('GET', '/api/import?limit=100')).body.jobs.length, jobs, 'no import queued');
    assert.equal((await admin('GET', '/api/memories')).body.total, memories);
    assert.deepEqual(readdirSync(join(api.dir, 'data', 'import-uploads')), [], 'no upload left behind');
  });

  it('refuses a field given twice, in the form, the query string or both, with 400 naming it, queuing nothing', async () => {
    /** `fields` in URL-encoded form, sent as form fields before the file. */
    const send = async (fields: string, query = '') => {
      const form = new FormData();
      for (const [name, value] of new URLSearchParams(fields)) form.append(name, value);
      form.append('file', new Blob(['# Twice\n\nThis note must not be stored.']), 'twice.md');
      const response = await fetch(`${api.url}/api/import${query}`, {
        method: 'POST',
        body: form,
        headers: as(ADMIN).headers,
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const memories = (await admin('GET', '/api/memories')).body.total;
    const jobs = (await admin('GET', '/api/import?limit=100')).body.jobs.length;
    const cases: [fields: string, query: string, message: RegExp][] = [
      ['source=markdown&source=chatgpt', '', /"source" is given twice in the form/],
      ['target=memories&dry_run=true&target=memory-dir', '', /"target" is given twice in the form/],
      ['dry_run=true&dry_run=false', '', /"dry_run" is given twice in the form/],
      ['dry_run=false', '?dry_run=true', /"dry_run" is given in the query string and in the form/],
      ['', '?source=markdown&source=chatgpt', /"source" is given twice in the query string/],
    ];
    for (const [fields, query, message] of cases) {
      const refused = await send(fields, query);
      assert.equal(refused.status, 400, `${fields} ${query}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'validation_error');
      assert.match(refused.body.message, message);
    }
    assert.equal((await admin('GET', '/api/import?limit=100')).body.jobs.length, jobs, 'no import queued');
    assert.equal((await admin('GET', '/api/memories')).body.total, memories);
    assert.deepEqual(readdirSync(join(api.dir, 'data', 'import-uploads')), [], 'no upload left behind');
  });

  it('requires a key with the write scope; a namespace-bound key imports into its namespace only', async () => {
    const anonymous = await fetch(`${api.url}/api/import`, { method: 'POST', body: new FormData() });
    assert.equal(anonymous.status, 401);
    const reader = (await admin('POST', '/api/admin/keys', { body: { name: 'reader', scopes: ['read'] } })).body.key;
    assert.equal((await upload('a.md', '# A', {}, reader)).status, 403);
    const team = (
      await admin('POST', '/api/admin/keys', { body: { name: 'team', scopes: ['write'], namespace: 'team' } })
    ).body.key;
    const teamStream = await openSse(`${api.url}/api/events/stream?frames=named&types=job_completed`, {
      authorization: `Bearer ${team}`,
    });
    const queued = await upload('team-note.md', '# Team\n\nThe team meets on Mondays.', {}, team);
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    const job = await finished(queued.body.job_id, team);
    const [completed] = await teamStream.waitFor((frames) => frames.length >= 1);
    teamStream.close();
    assert.equal(JSON.parse(completed.data).payload.job_id, job.id, "the job's events reach its namespace's stream");
    assert.equal(job.result.stored, 1);
    assert.equal((await api.request('GET', '/api/memories?tag=markdown', as(team))).body.total, 0);
    assert.equal((await api.request('GET', '/api/memories', as(team))).body.total, 1);
    assert.equal((await admin('GET', `/api/import/${job.id}`)).status, 404, 'another namespace does not see the job');
    const history = await api.request('GET', '/api/import', as(team));
    assert.deepEqual(
      history.body.jobs.map((entry: { id: string; state: string }) => [entry.id, entry.state]),
      [[job.id, 'completed']],
    );
    const ownHistory = (await admin('GET', '/api/import?limit=100')).body.jobs;
    assert.ok(ownHistory.length > 0 && !ownHistory.some((entry: { id: string }) => entry.id === job.id));
    assert.equal((await admin('GET', '/api/import?limit=0')).status, 400);
  });

  it('imports a folder by path inside ENGRAM_IMPORT_DIR and refuses any path leading outside it', async () => {
    mkdirSync(join(importDir, 'vault', 'notes'), { recursive: true });
    writeFileSync(
      join(importDir, 'vault', 'notes', 'garden.md'),
      '---\ntags: [garden]\n---\n# Garden\n\nTomatoes go in after the last frost.',
    );
    writeFileSync(join(api.dir, 'secret.md'), 'outside the import folder');
    symlinkSync(join(api.dir, 'secret.md'), join(importDir, 'link.md'));
    const queued = await admin('POST', '/api/import', { body: { path: 'vault' } });
    assert.equal(queued.status, 202, queued.text);
    const job = await finished(queued.body.job_id);
    assert.equal(job.result.source, 'markdown');
    assert.equal(job.result.stored, 1);
    assert.equal((await admin('GET', '/api/memories?tag=garden')).body.total, 1);
    for (const path of ['../secret.md', join(api.dir, 'secret.md'), 'link.md', '/etc/passwd']) {
      const refused = await admin('POST', '/api/import', { body: { path } });
      assert.equal(refused.status, 403, `${path}: ${refused.text}`);
      assert.equal(refused.body.error, 'import_path_refused');
    }
    assert.equal((await admin('POST', '/api/import', { body: { path: 'missing.md' } })).status, 404);

    // The folder is every namespace's: a bound key neither imports from it nor learns which files it holds.
    const bound = (
      await admin('POST', '/api/admin/keys', { body: { name: 'tenant', scopes: ['write'], namespace: 'tenant' } })
    ).body.key;
    const answers = [];
    for (const path of ['vault', 'missing.md']) {
      const refused = await api.request('POST', '/api/import', { ...as(bound), body: { path } });
      assert.equal(refused.status, 403, `${path}: ${refused.text}`);
      answers.push(refused.body);
    }
    assert.equal(answers[0].error, 'import_path_refused');
    assert.match(answers[0].message, /not bound to a namespace: upload the file instead/);
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual((await api.request('GET', '/api/import', as(bound))).body.jobs, []);
    assert.equal((await api.request('GET', '/api/memories', as(bound))).body.total, 0);
  });

  it('refuses a query string on an import by path, whose options come from its JSON body alone, importing nothing', async () => {
    writeFileSync(join(importDir, 'query.md'), '# Query\n\nA note a dry run must not store.');
    const memories = (await admin('GET', '/api/memories')).body.total;
    const jobs = (await admin('GET', '/api/import?limit=100')).body.jobs.length;
    for (const [query, named] of [
      ['?dry_run=true', 'dry_run'],
      ['?target=memory-dir&source=markdown', 'target, source'],
    ]) {
      const refused = await admin('POST', `/api/import${query}`, { body: { path: 'query.md' } });
      assert.equal(refused.status, 400, `${query}: ${refused.text}`);
      assert.equal(refused.body.error, 'validation_error');
      assert.ok(
        refused.body.message.startsWith(`The query string (${named}) is read only with a multipart upload`),
        refused.body.message,
      );
    }
    assert.equal((await admin('GET', '/api/import?limit=100')).body.jobs.length, jobs, 'no import queued');
    assert.equal((await admin('GET', '/api/memories')).body.total, memories);
  });

  it('writes the memory directory in the layout the agent reads, through its own functions', async () => {
    const conversations = await imported('chatgpt-export.zip', chatgptZip, { target: 'agent' });
    assert.equal(conversations.state, 'completed', conversations.error);
    assert.equal(conversations.result.target, 'memory-dir');
    const graph = await imported('memory.jsonl', memoryGraphJsonl(), { target: 'memory-dir' });
    assert.equal(graph.state, 'completed', graph.error);
    const functions = new MemoryFunctions(new MemoryDirectoryRepository(join(api.config.memoryDir, 'default')));
    const call = async (name: Parameters<MemoryFunctions['call']>[0], ...args: unknown[]) => {
      const outcome = await functions.call(name, args);
      assert.ok('value' in outcome, JSON.stringify(outcome));
      return outcome.value as string;
    };
    const user = await call('read_file', 'user.md');
    assert.match(user, /^# User Information\n\n## Imported sources\n/);
    assert.match(user, /- \*\*Chatgpt history\*\*: \[\[entities\/chatgpt_history\/index\.md\]\]/);
    assert.match(user, /\[\[entities\/memory_graph\/index\.md\]\]/);
    const index = await call('go_to_link', '[[entities/chatgpt_history/index.md]]');
    const link = /\[\[(entities\/chatgpt_history\/conversations\/2024_05_08_planning_topic_2\.md)\]\]/.exec(index);
    assert.ok(link, index);
    const conversation = await call('go_to_link', `[[${link[1]}]]`);
    assert.match(
      conversation,
      /^# Planning topic 2\n\n- source: ChatGPT data export\n- original_id: conv-2\n- date: 2024-05-08\n/,
    );
    assert.match(conversation, /\*\*User\*\* \(2024-05-08\):\nHow should I organise project 2\?/);
    assert.ok(!conversation.includes('\\n'), 'real newlines');
    const jane = await call('read_file', 'entities/jane_doe.md');
    assert.match(jane, /- type: person/);
    assert.match(jane, /- \*\*works_at\*\*: \[\[entities\/acme_corp\.md\]\]/);
    assert.match(
      await call('read_file', 'entities/acme_corp.md'),
      /- \*\*works_at \(from\)\*\*: \[\[entities\/jane_doe\.md\]\]/,
    );
    assert.match(await call('list_files'), /chatgpt_history\//);
    const again = await imported('chatgpt-export.zip', chatgptZip, { target: 'memory-dir' });
    assert.equal(again.state, 'completed');
    assert.equal((user.match(/chatgpt_history\/index/g) ?? []).length, 1);
    assert.equal(
      ((await call('read_file', 'user.md')).match(/chatgpt_history\/index/g) ?? []).length,
      1,
      'no second link',
    );
    assert.equal(
      ((await call('read_file', 'entities/chatgpt_history/index.md')).match(/planning_topic_2/g) ?? []).length,
      1,
    );
  });
});
