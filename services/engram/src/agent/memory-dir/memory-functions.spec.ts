import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { MemoryLimits } from '../../storage/agent-file.rules';
import { MemoryDirectoryRepository } from './memory-directory.repository';
import { CallOutcome, MemoryFunctions } from './memory-functions';

const base = mkdtempSync(join(tmpdir(), 'engram-memdir-'));
after(() => rmSync(base, { recursive: true, force: true }));

let counter = 0;
function freshMemory(limits?: MemoryLimits) {
  counter += 1;
  const root = join(base, `mem${counter}`);
  mkdirSync(root);
  const functions = new MemoryFunctions(new MemoryDirectoryRepository(root, limits));
  return {
    root,
    functions,
    call: (name: Parameters<MemoryFunctions['call']>[0], ...args: unknown[]) => functions.call(name, args),
  };
}

const value = (outcome: CallOutcome) => {
  assert.ok('value' in outcome, `expected a value, got ${JSON.stringify(outcome)}`);
  return outcome.value;
};

describe('memory functions (the ten trained names on a real folder)', () => {
  let memory: ReturnType<typeof freshMemory>;
  beforeEach(() => {
    memory = freshMemory();
  });

  it('create_file creates parent folders, overwrites, returns True and records the change kinds', async () => {
    assert.equal(value(await memory.call('create_file', 'entities/jane_doe.md', '# Jane Doe\n')), true);
    assert.equal(readFileSync(join(memory.root, 'entities/jane_doe.md'), 'utf8'), '# Jane Doe\n');
    assert.equal(value(await memory.call('create_file', 'user.md')), true);
    assert.equal(readFileSync(join(memory.root, 'user.md'), 'utf8'), '');
    assert.equal(value(await memory.call('create_file', 'user.md', '# User\n')), true);
    assert.deepEqual(
      [...memory.functions.changes],
      [
        ['entities/jane_doe.md', 'created'],
        ['user.md', 'created'],
      ],
    );
  });

  it('update_file replaces the one exact occurrence and answers Error: strings otherwise', async () => {
    await memory.call('create_file', 'user.md', '- name: Ana\n- city: Lisbon\n- pet: cat\n- pet: cat\n');
    assert.equal(value(await memory.call('update_file', 'user.md', '- city: Lisbon', '- city: Porto')), true);
    assert.match(readFileSync(join(memory.root, 'user.md'), 'utf8'), /city: Porto/);
    assert.match(String(value(await memory.call('update_file', 'user.md', 'Madrid', 'x'))), /^Error: .*not found/);
    assert.match(
      String(value(await memory.call('update_file', 'user.md', '- pet: cat', '- pet: dog'))),
      /^Error: .*occurs 2 times/,
    );
    assert.match(String(value(await memory.call('update_file', 'user.md', 'Ana', 'Ana'))), /^Error: .*same/);
    assert.match(String(value(await memory.call('update_file', 'missing.md', 'a', 'b'))), /^Error: .*does not exist/);
    assert.match(String(value(await memory.call('update_file', 'user.md', 1, 'b'))), /^Error: .*strings/);
  });

  it('read_file, delete_file and the existence checks follow the trained return conventions', async () => {
    await memory.call('create_file', 'entities/acme.md', 'Acme');
    assert.equal(value(await memory.call('read_file', 'entities/acme.md')), 'Acme');
    assert.match(String(value(await memory.call('read_file', 'entities'))), /^Error: .*folder/);
    assert.match(String(value(await memory.call('read_file', 'nope.md'))), /^Error: /);
    assert.equal(value(await memory.call('check_if_file_exists', 'entities/acme.md')), true);
    assert.equal(value(await memory.call('check_if_file_exists', 'entities')), false);
    assert.equal(value(await memory.call('check_if_dir_exists', 'entities')), true);
    assert.equal(value(await memory.call('check_if_dir_exists', 'entities/acme.md')), false);
    assert.equal(value(await memory.call('delete_file', 'entities/acme.md')), true);
    assert.equal(value(await memory.call('delete_file', 'entities/acme.md')), false);
    assert.equal(memory.functions.changes.get('entities/acme.md'), 'deleted');
  });

  it('create_dir, get_size (raising on a missing path) and list_files render the trained tree', async () => {
    assert.equal(value(await memory.call('create_dir', 'entities/places')), true);
    assert.equal(value(await memory.call('create_dir', 'entities/places')), true);
    await memory.call('create_file', 'user.md', '12345');
    await memory.call('create_file', 'entities/bob.md', 'abc');
    await memory.call('create_file', 'entities/zed/note.md', 'z');
    writeFileSync(join(memory.root, '.filters'), '- no ages\n');
    assert.equal(value(await memory.call('get_size', '')), 9);
    assert.equal(value(await memory.call('get_size', 'entities')), 4);
    assert.equal(value(await memory.call('get_size', 'user.md')), 5);
    assert.deepEqual(await memory.call('get_size', 'ghost.md'), {
      raise: { type: 'FileNotFoundError', message: "No such file or directory: 'ghost.md'" },
    });
    assert.equal(
      value(await memory.call('list_files')),
      [
        './',
        '├── entities/',
        '│   ├── bob.md',
        '│   ├── places/ (empty)',
        '│   └── zed/',
        '│       └── note.md',
        '└── user.md',
      ].join('\n'),
    );
    assert.equal(value(await memory.call('list_files', 'entities/zed')), 'entities/zed/\n└── note.md');
    assert.match(String(value(await memory.call('list_files', 'nowhere'))), /^Error: /);
  });

  it('go_to_link follows full-path, alias, heading, extension-less, relative and bare links', async () => {
    await memory.call('create_file', 'entities/jane_doe.md', 'Jane');
    await memory.call('create_file', 'user.md', 'User');
    for (const link of [
      '[[entities/jane_doe.md]]',
      '[[entities/jane_doe]]',
      '[[entities/jane_doe.md|Jane]]',
      '[[entities/jane_doe.md#Work]]',
      'entities/jane_doe.md',
      '[[./jane_doe.md]]',
      '[[jane_doe]]',
    ]) {
      assert.equal(value(await memory.call('go_to_link', link)), 'Jane', link);
    }
    assert.equal(value(await memory.call('go_to_link', '[[../user.md]]')), 'User');
    assert.match(String(value(await memory.call('go_to_link', '[[entities/nobody.md]]'))), /^Error: no file found/);
  });

  it('refuses absolute paths, .. escapes, prefix siblings, hidden files and symlinks leading out', async () => {
    const outside = join(base, `outside${counter}`);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.md'), 'SECRET');
    mkdirSync(`${memory.root}_evil`);
    writeFileSync(join(`${memory.root}_evil`, 'x.md'), 'EVIL');
    symlinkSync(outside, join(memory.root, 'link'));
    symlinkSync(join(outside, 'secret.md'), join(memory.root, 'secret.md'));
    symlinkSync(join(outside, 'gone.md'), join(memory.root, 'dangling.md'));
    for (const path of [
      '/etc/passwd',
      '../outside/secret.md',
      `../mem${counter}_evil/x.md`,
      'entities/../../x.md',
      'link/secret.md',
      'secret.md',
      '.filters',
    ]) {
      assert.match(String(value(await memory.call('read_file', path))), /^Error: /, path);
      assert.equal(value(await memory.call('create_file', path, 'pwned')), false, path);
    }
    assert.equal(value(await memory.call('create_file', 'dangling.md', 'pwned')), false);
    assert.equal(value(await memory.call('create_file', 'link/new.md', 'pwned')), false);
    assert.equal(value(await memory.call('delete_file', 'secret.md')), false);
    assert.deepEqual(readdirSync(outside), ['secret.md']);
    assert.equal(readFileSync(join(outside, 'secret.md'), 'utf8'), 'SECRET');
    assert.equal(existsSync(join(outside, 'gone.md')), false);
  });

  it('enforces the file, folder and memory limits on create_file and update_file', async () => {
    const small = freshMemory({ fileBytes: 100, directoryBytes: 150, memoryBytes: 250, entries: 100 });
    assert.equal(value(await small.call('create_file', 'a.md', 'x'.repeat(101))), false);
    assert.equal(value(await small.call('create_file', 'a.md', 'x'.repeat(100))), true);
    assert.equal(value(await small.call('create_file', 'b.md', 'x'.repeat(60))), false, 'folder limit');
    assert.equal(
      value(await small.call('create_file', 'a.md', 'y'.repeat(90))),
      true,
      'replacing counts the old size out',
    );
    assert.equal(value(await small.call('create_file', 'e/1.md', 'x'.repeat(100))), true);
    assert.equal(value(await small.call('create_file', 'f/1.md', 'x'.repeat(70))), false, 'memory limit');
    assert.match(String(value(await small.call('update_file', 'a.md', 'y', 'y'.repeat(30)))), /^Error: .*occurs/);
    await small.call('create_file', 'g.md', 'abc');
    assert.match(
      String(value(await small.call('update_file', 'g.md', 'abc', 'z'.repeat(101)))),
      /^Error: .*at most 100 bytes/,
    );
    assert.equal(readFileSync(join(small.root, 'g.md'), 'utf8'), 'abc');
  });

  it('caps the files and folders of the memory, empty ones included, and still lets a full memory be edited', async () => {
    const capped = freshMemory({ fileBytes: 100, directoryBytes: 1000, memoryBytes: 1000, entries: 5 });
    mkdirSync(join(capped.root, 'left_empty'));
    writeFileSync(join(capped.root, '.filters'), '- no ages\n');
    assert.equal(value(await capped.call('create_dir', 'people/friends')), true, 'two folders: 4 of 5');
    assert.equal(value(await capped.call('create_dir', 'places/cities')), false, 'two more would make 6');
    assert.equal(value(await capped.call('create_file', 'user.md', '')), true, 'an empty file is an entry: 5 of 5');
    assert.equal(value(await capped.call('create_dir', 'places')), false);
    assert.equal(value(await capped.call('create_file', 'people/ana.md', '')), false);
    assert.match(
      String(value(await capped.call('update_file', 'missing.md', 'a', 'b'))),
      /^Error: file "missing.md" does not exist/,
    );
    assert.equal(capped.functions.refusals.limit, 3);
    assert.deepEqual(readdirSync(capped.root).sort(), ['.filters', 'left_empty', 'people', 'user.md']);
    assert.deepEqual(readdirSync(join(capped.root, 'people')), ['friends']);
    assert.equal(value(await capped.call('create_dir', 'people/friends')), true, 'an existing folder adds nothing');
    assert.equal(value(await capped.call('create_file', 'user.md', '# User\n')), true, 'replacing adds nothing');
    assert.equal(value(await capped.call('update_file', 'user.md', '# User', '# Ana')), true);
    assert.equal(value(await capped.call('delete_file', 'user.md')), true);
    assert.equal(value(await capped.call('create_file', 'people/friends/ana.md', 'Ana')), true, 'room again');
  });

  it('writes atomically: no temporary file remains and a failed write leaves the old content', async () => {
    await memory.call('create_file', 'user.md', 'old');
    await memory.call('create_file', 'user.md', 'new');
    assert.deepEqual(readdirSync(memory.root), ['user.md']);
    const limited = freshMemory({ fileBytes: 5, directoryBytes: 100, memoryBytes: 100, entries: 100 });
    await limited.call('create_file', 'user.md', 'old');
    assert.equal(value(await limited.call('create_file', 'user.md', 'too long')), false);
    assert.equal(readFileSync(join(limited.root, 'user.md'), 'utf8'), 'old');
    assert.deepEqual(readdirSync(limited.root), ['user.md']);
  });
});
