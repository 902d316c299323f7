import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { zipOf } from '../../testing/import-fixtures';
import { ImportInput } from './import-input';

const LIMITS = { maxUnpackedBytes: 10 * 1024 * 1024, maxEntries: 100 };

describe('opening what an import reads (hostile archives and folders)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engram-import-input-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, data: Buffer | string) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  const open = (path: string, limits = LIMITS) => ImportInput.open(path, path.split('/').pop()!, limits);
  const read = async (input: ImportInput) => {
    const found: Record<string, string> = {};
    for await (const entry of input.entries()) {
      const chunks: Buffer[] = [];
      for await (const chunk of await entry.open()) chunks.push(chunk as Buffer);
      found[entry.path] = Buffer.concat(chunks).toString('utf8');
    }
    return found;
  };

  it('reads a ZIP entry by entry, leaving folders, hidden files and macOS forks out', async () => {
    const input = await open(
      file(
        'ok.zip',
        zipOf([
          { name: 'notes/a.md', data: '# A' },
          { name: 'notes/', data: '' },
          { name: 'b.txt', data: 'plain', store: true },
          { name: '.obsidian/app.json', data: '{}' },
          { name: '__MACOSX/._a.md', data: 'fork' },
        ]),
      ),
    );
    assert.equal(input.kind, 'zip');
    assert.deepEqual(await read(input), { 'notes/a.md': '# A', 'b.txt': 'plain' });
  });

  it('refuses zip slip names before reading anything', async () => {
    for (const name of ['../../etc/evil.md', '/abs/evil.md', 'ok/../../evil.md']) {
      await assert.rejects(open(file('slip.zip', zipOf([{ name, data: 'x' }]))), /unsafe or damaged archive/, name);
    }
  });

  it('does not follow symbolic link entries: they are listed as skipped', async () => {
    const input = await open(
      file(
        'link.zip',
        zipOf([
          { name: 'passwd.md', data: '/etc/passwd', symlink: true },
          { name: 'a.md', data: 'A' },
        ]),
      ),
    );
    assert.deepEqual(await read(input), { 'a.md': 'A' });
    assert.match(input.skipped[0].reason, /symbolic link/);
  });

  it('refuses a zip bomb (extreme compression ratio) and archives over the unpacked-size and entry limits', async () => {
    const bomb = Buffer.alloc(8 * 1024 * 1024, 0x41);
    await assert.rejects(open(file('bomb.zip', zipOf([{ name: 'a.txt', data: bomb }]))), /likely zip bomb/);
    const smallBombs = zipOf(
      Array.from({ length: 3 }, (_, i) => ({ name: `${i}.md`, data: Buffer.alloc(512 * 1024) })),
    );
    await assert.rejects(open(file('small-bombs.zip', smallBombs)), /entry "0.md" unpacks \d+ times.*likely zip bomb/);
    const big = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `${i * 7919}`).join(','));
    await assert.rejects(
      open(file('big.zip', zipOf([{ name: 'a.txt', data: big }])), { ...LIMITS, maxUnpackedBytes: 100_000 }),
      /unpacks to more than 100000 bytes/,
    );
    const many = zipOf(Array.from({ length: 5 }, (_, i) => ({ name: `${i}.md`, data: 'x' })));
    await assert.rejects(open(file('many.zip', many), { ...LIMITS, maxEntries: 4 }), /holds 5 entries; at most 4/);
  });

  it('refuses an empty file and a damaged archive with the file named', async () => {
    await assert.rejects(open(file('empty.json', '')), /empty.json is empty \(0 bytes\)/);
    const damaged = zipOf([{ name: 'a.md', data: 'hello world' }]).subarray(0, 40);
    await assert.rejects(open(file('damaged.zip', damaged)), /damaged.zip is not a readable ZIP archive/);
  });

  it('walks a folder without following symbolic links', async () => {
    const folder = join(dir, 'vault');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'sub', 'note.md'), 'inside');
    writeFileSync(join(dir, 'outside.md'), 'secret');
    symlinkSync(join(dir, 'outside.md'), join(folder, 'escape.md'));
    symlinkSync(dir, join(folder, 'up'));
    const input = await open(folder);
    assert.deepEqual(await read(input), { 'sub/note.md': 'inside' });
    assert.deepEqual(input.skipped.map((entry) => entry.item).sort(), ['vault/escape.md', 'vault/up']);
  });
});
