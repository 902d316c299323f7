import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decimalFlag, integerFlag, nearestFlag, parseCommandArgs, ParsedArgs, wantsHelp } from './cli-args';

const FLAGS = { name: { type: 'string' }, scopes: { type: 'string' }, json: { type: 'boolean' } } as const;
const problemOf = (argv: string[]) => {
  const parsed = parseCommandArgs(argv, FLAGS);
  return 'problem' in parsed ? parsed.problem : undefined;
};

describe('command-line arguments (util.parseArgs)', () => {
  it('never lets a flag missing its value swallow the next flag', () => {
    assert.equal(problemOf(['create', '--name', '--scopes', 'read']), '--name needs a value');
    assert.equal(problemOf(['create', '--scopes']), '--scopes needs a value');
    const dashed = parseCommandArgs(['--name=-x-'], FLAGS);
    assert.ok(!('problem' in dashed) && dashed.flags.name === '-x-', 'an inline value may start with a dash');
  });

  it("takes a negative number as a value, for the flag's own rule to judge", () => {
    const parsed = parseCommandArgs(['--name', '-1'], FLAGS);
    assert.ok(!('problem' in parsed) && parsed.flags.name === '-1');
    assert.equal(problemOf(['--name', '-x']), '--name needs a value');
  });

  it('reads integer flags as digits only', () => {
    const limit = (value: string) => integerFlag({ flags: { limit: value } } as unknown as ParsedArgs, 'limit', 1, 100);
    assert.deepEqual(limit('42'), { value: 42 });
    for (const refused of ['-1', '0', '101', '1e1', '0x10', '4.5', ' 7', 'ten']) {
      assert.deepEqual(limit(refused), { problem: '--limit: expected an integer from 1 to 100' }, refused);
    }
  });

  it('reads decimal flags as digits with an optional decimal point, within their range', () => {
    const args = (value: string) => ({ flags: { timeout: value } }) as unknown as ParsedArgs;
    assert.deepEqual(decimalFlag(args('2.5'), 'timeout', 0, 300, { above: true }), { value: 2.5 });
    assert.deepEqual(decimalFlag(args('300'), 'timeout', 0, 300, { above: true }), { value: 300 });
    for (const refused of ['', '0', '0.0', '301', '1e1', '0x10', ' 5 ', '-1', '.5', '5.', 'Infinity']) {
      const { problem } = decimalFlag(args(refused), 'timeout', 0, 300, { above: true });
      assert.match(problem ?? '', /^--timeout: expected a number above 0, at most 300 /, refused);
    }
    assert.deepEqual(decimalFlag(args('0.5'), 'timeout', 0.5, 1), { value: 0.5 });
  });

  it('takes positionals before, between and after flags', () => {
    const parsed = parseCommandArgs(['create', '--name', 'a', 'extra', '--json', 'last'], FLAGS);
    assert.ok(!('problem' in parsed));
    assert.deepEqual(parsed.positionals, ['create', 'extra', 'last']);
    assert.deepEqual(parsed.flags, { name: 'a', json: true });
  });

  it("names an unknown flag as typed, against the command's own flags", () => {
    const problem = problemOf(['--Name', 'x']);
    assert.match(
      problem ?? '',
      /^unknown option --Name \(did you mean --name\?\); accepted: --name, --scopes, --json, --db/,
    );
    assert.match(problemOf(['-n']) ?? '', /^unknown option -n;/);
    assert.equal(problemOf(['--json=yes']), '--json takes no value');
  });

  it('suggests the flag a mistyped one most likely meant, and none when no flag is clearly nearest', () => {
    const search = ['tags', 'type', 'namespace', 'json', 'time', 'limit', 'mode', 'db', 'env-file'];
    assert.equal(nearestFlag('tag', search), 'tags', 'a prefix of one flag');
    assert.equal(nearestFlag('namespaces', search), 'namespace', 'one flag is a prefix of it');
    assert.equal(nearestFlag('limt', search), 'limit', 'one edit away');
    assert.equal(nearestFlag('envfile', search), 'env-file');
    assert.equal(nearestFlag('tme', search), undefined, 'three letters: prefixes only');
    assert.equal(nearestFlag('tyme', search), undefined, 'as near to --type as to --time');
    assert.equal(nearestFlag('format', search), undefined);
    assert.equal(nearestFlag('port', ['db', 'host']), undefined, 'two edits from --host, but a short name');
    assert.equal(nearestFlag('namspace', search), 'namespace');
    assert.equal(nearestFlag('t'.repeat(10_000), search), undefined, 'a long argument is not compared');
    assert.match(
      problemOf(['--scope', 'read']) ?? '',
      /^unknown option --scope \(did you mean --scopes\?\); accepted:/,
    );
  });

  it('hands the configuration flags to the configuration loader', () => {
    const parsed = parseCommandArgs(['--db', 'x.db', '--name', 'a', '--log-level=debug'], FLAGS);
    assert.ok(!('problem' in parsed));
    assert.deepEqual(parsed.configArgv, ['--db=x.db', '--log-level=debug']);
    assert.match(problemOf(['--db']) ?? '', /--db needs a value/);
    const bare = parseCommandArgs(['--db', 'x'], FLAGS, { config: [] });
    assert.ok('problem' in bare && /unknown option --db/.test(bare.problem));
    const addressless = parseCommandArgs(['--port', '9000'], FLAGS);
    assert.ok('problem' in addressless, 'a command on the store listens nowhere: --port is not its flag');
    assert.equal(
      addressless.problem,
      'unknown option --port; accepted: --name, --scopes, --json, --db, --env-file, --embedding-provider, --log-level',
    );
  });

  it('finds --help and -h anywhere before --', () => {
    assert.ok(wantsHelp(['create', '--help']));
    assert.ok(wantsHelp(['-h']));
    assert.ok(!wantsHelp(['store', '--', '--help']));
  });
});
