import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, it } from 'node:test';
import { declaredMetrics, seriesLabels } from './deployment/declared-metrics';
import { serviceSourceFiles } from './deployment/engram-variables';
import { runEngram, serviceHelper } from './engram-cli';
import { ROOT, tempDir } from './process-harness';

const { CLI_COMMANDS } = serviceHelper('cli/cli-command.js');
const DOCUMENTS = [
  'README.md',
  'docs/api.md',
  'docs/mcp.md',
  'docs/deployment.md',
  'docs/agent.md',
  'docs/architecture.md',
];
const text = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const EVERY_DOCUMENT = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const SOURCES = join(ROOT, 'services', 'engram', 'src');

/** The flags `engram <command>` accepts, as its refusal of an unknown one lists them (asked once per command). */
const flagsAsked = new Map<string, Promise<Set<string>>>();
function acceptedFlags(command: string): Promise<Set<string>> {
  if (!flagsAsked.has(command)) flagsAsked.set(command, askAcceptedFlags(command));
  return flagsAsked.get(command)!;
}

async function askAcceptedFlags(command: string): Promise<Set<string>> {
  const { code, stderr } = await runEngram([command, '--not-a-flag'], {}, tempDir());
  const listed = /accepted: (.*)/.exec(stderr)?.[1];
  assert.ok(code === 64 && listed, `engram ${command} --not-a-flag: ${code} ${stderr}`);
  return new Set(['--help', ...listed.split(', ')]);
}

/** The sysexits codes (64-78) the commands return: numbers in code, not in strings or comments. */
function exitCodesReturned(): Set<number> {
  const files = [
    ...['cli', 'process'].flatMap((folder) =>
      readdirSync(join(SOURCES, folder))
        .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
        .map((name) => join(SOURCES, folder, name)),
    ),
    join(SOURCES, 'http', 'run-api.ts'),
    join(SOURCES, 'worker', 'run-worker.ts'),
  ];
  const codes = new Set<number>();
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (ts.isNumericLiteral(node) && Number(node.text) >= 64 && Number(node.text) <= 78) codes.add(Number(node.text));
      node.forEachChild(visit);
    };
    visit(ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022));
  }
  return codes;
}
/**
 * The codes of the api's error answers: a domain error's `code = '…'` and an answer's `error: '…'` (either
 * side of a `?:` too), as written in the sources.
 */
function errorCodesAnswered(): Set<string> {
  const codes = new Set<string>();
  for (const file of serviceSourceFiles()) {
    const visit = (node: ts.Node): void => {
      const value = codeOrErrorValue(node);
      if (value) for (const code of stringLiterals(value)) codes.add(code);
      node.forEachChild(visit);
    };
    visit(ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022));
  }
  return codes;
}

/** What a class's `code = …` or an object's `error: …` is set to. */
function codeOrErrorValue(node: ts.Node): ts.Expression | undefined {
  if (ts.isPropertyDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'code')
    return node.initializer;
  if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'error')
    return node.initializer;
  return undefined;
}

function stringLiterals(node: ts.Expression): string[] {
  if (ts.isStringLiteral(node)) return [node.text];
  if (ts.isConditionalExpression(node)) return [...stringLiterals(node.whenTrue), ...stringLiterals(node.whenFalse)];
  return [];
}

/**
 * Flags README.md's "Command line" tells of for every command that takes them, so a command's own passages
 * need not repeat them: --help, --json, the configuration flags and --namespace.
 */
const FLAGS_TOLD_IN_GENERAL = [
  '--help',
  '--json',
  '--db',
  '--env-file',
  '--embedding-provider',
  '--log-level',
  '--host',
  '--port',
  '--namespace',
];

/**
 * The passages of a document that tell of a command together with its flags: a paragraph (a list counts as
 * one), or one line of a code block, where each line is a command of its own.
 */
function passages(body: string): string[] {
  const found: string[] = [];
  let paragraph: string[] = [];
  let inCode = false;
  const endParagraph = () => {
    if (paragraph.length > 0) found.push(paragraph.join('\n'));
    paragraph = [];
  };
  for (const line of body.split('\n')) {
    if (line.startsWith('```')) {
      endParagraph();
      inCode = !inCode;
    } else if (inCode) found.push(line);
    else if (line.trim() === '') endParagraph();
    else paragraph.push(line);
  }
  endParagraph();
  return found;
}

/** The anchors GitHub gives a document's headings: lower-cased, punctuation dropped, spaces as -, repeats -1, -2 … */
function headingAnchors(body: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inCode = false;
  for (const line of body.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const heading = inCode ? null : /^#{1,6}\s+(.+?)\s*#*$/.exec(line);
    if (!heading) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return anchors;
}

/**
 * Where a document points inside the repository: its markdown links (`[text](docs/x.md#part)`, `(#part)`) and
 * the `docs/x.md#part` it names in prose, each as the file (from the repository's root) and the anchor.
 */
function pointers(document: string): { target: string; file: string; anchor?: string }[] {
  const body = text(document);
  const links = [...body.matchAll(/\]\(([^)\s]+)\)/g)]
    .map(([, target]) => target)
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => {
      const [path, anchor] = target.split('#');
      return { target, file: path ? join(dirname(document), path) : document, anchor };
    });
  const named = [...body.matchAll(/\b((?:docs\/)?[\w-]+\.md)#([\w-]+)/g)].map(([target, path, anchor]) => ({
    target,
    file: path.includes('/') || path === 'README.md' ? path : join(dirname(document), path),
    anchor,
  }));
  return [...links, ...named];
}

/** Metrics the docs name as gone, so a reader of an older setup knows what replaced them. */
const RETIRED_METRICS = ['engram_mcp_sessions'];
const scripts: Record<string, string> = JSON.parse(text('package.json')).scripts;

describe('what the README and docs show exists', () => {
  it('names only npm scripts that package.json defines', () => {
    for (const document of DOCUMENTS) {
      for (const [, script] of text(document).matchAll(/\bnpm run (?:--silent )?([a-z][\w:-]*)/g)) {
        assert.ok(script in scripts, `${document}: npm run ${script}`);
      }
    }
    assert.ok('start' in scripts && 'test' in scripts);
  });

  it('names only engram commands that exist', () => {
    let seen = 0;
    for (const document of DOCUMENTS) {
      // The command as typed: after npx, a backtick, `kubectl exec … --`, or at the start of a line
      // (not `-n engram get pods` or `helm install engram charts/engram`).
      for (const [, command] of text(document).matchAll(/(?:npx |`|-- |^)engram ([a-z][\w-]*)/gm)) {
        assert.ok(command in CLI_COMMANDS, `${document}: engram ${command}`);
        seen++;
      }
    }
    assert.ok(seen > 30, `found ${seen} engram commands`);
  });

  it('points only at files inside the repository that exist', () => {
    const pathLike =
      /`((?:docs|scripts|charts|k8s|services|test|bench)\/[\w./-]+|[\w.-]+\.(?:md|yaml|json|example|mjs))`/g;
    for (const document of DOCUMENTS) {
      const body = text(document);
      assert.doesNotMatch(body, /\.\.\/shared\//, `${document} points outside the repository`);
      for (const [, path] of body.matchAll(pathLike)) {
        // Placeholders, bare file names, and bench/results/ (what the benchmarks write) are not claims.
        if (/[<…*]/.test(path) || !path.includes('/') || path.startsWith('bench/results/')) continue;
        assert.ok(existsSync(join(ROOT, path.replace(/\/$/, ''))), `${document}: ${path}`);
      }
    }
  });

  it('links only to files that exist and to headings those files have', () => {
    const anchorsOf = new Map<string, Set<string>>();
    let seen = 0;
    const broken = EVERY_DOCUMENT.flatMap((document) =>
      pointers(document).flatMap(({ target, file, anchor }) => {
        seen++;
        if (!existsSync(join(ROOT, file))) return [`${document}: ${target} (no ${file})`];
        if (anchor === undefined || !file.endsWith('.md')) return [];
        if (!anchorsOf.has(file)) anchorsOf.set(file, headingAnchors(text(file)));
        return anchorsOf.get(file)!.has(anchor) ? [] : [`${document}: ${target} (no such heading in ${file})`];
      }),
    );
    assert.deepEqual(broken, []);
    assert.ok(seen >= 30, `found ${seen} links`);
  });

  it('names only metrics Engram declares, with labels they carry', () => {
    const declared = declaredMetrics();
    let seen = 0;
    const wrong = EVERY_DOCUMENT.flatMap((document) => {
      const body = text(document);
      // `engram_x`, `engram_x{label}`, `engram_x{label="value"}`; not engram_sandbox.py or engram_test_<random>.
      return [...body.matchAll(/\b((?:engram|http_request)_\w+)(?![\w.<])(?:\{([^}]*)\})?/g)].flatMap(
        ([, name, inner]) => {
          seen++;
          if (RETIRED_METRICS.includes(name))
            return declared.has(name) ? [`${document}: ${name} is declared again`] : [];
          const labels = seriesLabels(name, declared);
          if (!labels) return [`${document}: ${name} is not declared`];
          const named = [...(inner ?? '').replace(/"[^"]*"/g, '""').matchAll(/(\w+)\s*(?:=~|!~|!=|=|,|$)/g)].map(
            ([, label]) => label,
          );
          return named
            .filter((label) => !labels.has(label))
            .map((label) => `${document}: ${name} has no label ${label}`);
        },
      );
    });
    assert.deepEqual(wrong, []);
    assert.ok(seen >= 15, `found ${seen} metrics`);
  });

  it('tells of every exit code the commands return, and of no other', () => {
    const told = new Set<number>();
    for (const document of EVERY_DOCUMENT) {
      for (const sentence of text(document)
        .replace(/\n/g, ' ')
        .split(/(?<=[.;])\s+(?=[A-Z`(])/)) {
        if (!/\bexit/i.test(sentence)) continue;
        for (const [code] of sentence.matchAll(/\b(?:6[4-9]|7[0-8])\b/g)) told.add(Number(code));
      }
    }
    const returned = exitCodesReturned();
    assert.ok(returned.size >= 7, `${[...returned]} returned`);
    assert.deepEqual([...returned].filter((code) => !told.has(code)).sort(), [], 'exit codes no document tells of');
    assert.deepEqual([...told].filter((code) => !returned.has(code)).sort(), [], 'exit codes told of but not returned');
  });

  it('names in docs/api.md every error code the api answers with, and lists in its codes no other', () => {
    const answered = errorCodesAnswered();
    assert.ok(answered.size >= 25, `${answered.size} error codes found`);
    const apiDoc = text('docs/api.md');
    const named = new Set([...apiDoc.matchAll(/`([a-z]+(?:_[a-z]+)*)`/g)].map(([, code]) => code));
    assert.deepEqual(
      [...answered].filter((code) => !named.has(code)),
      [],
      'error codes docs/api.md does not name',
    );
    // The list of codes is the paragraph that opens "Errors:".
    const errors = /^Errors: [^]*?(?=\n\n)/m.exec(apiDoc)?.[0] ?? '';
    const listed = [...errors.matchAll(/`([a-z]+(?:_[a-z]+)*)`/g)].map(([, code]) => code);
    assert.ok(listed.length >= 25, `${listed.length} codes in the Errors paragraph`);
    assert.deepEqual(
      listed.filter((code) => !answered.has(code)),
      [],
      'codes the Errors paragraph lists that the api never answers',
    );
  });

  it('tells of every command engram --help lists, and beside it of every flag the command accepts', async () => {
    const commands = Object.keys(CLI_COMMANDS);
    const named = new Set<string>();
    const told = new Map(commands.map((command) => [command, new Set<string>()]));
    for (const document of EVERY_DOCUMENT) {
      for (const passage of passages(text(document))) {
        const flags = [...passage.matchAll(/--[a-z][\w-]*/g)].map(([flag]) => flag);
        for (const [, command] of passage.matchAll(/(?:npx |`|-- |^)engram ([a-z][\w-]*)/gm)) {
          named.add(command);
          for (const flag of flags) told.get(command)?.add(flag);
        }
      }
    }
    assert.deepEqual(
      commands.filter((command) => !named.has(command)),
      [],
      'commands no document names',
    );
    const accepted = await Promise.all(
      commands.map(async (command) => [command, await acceptedFlags(command)] as const),
    );
    const untold = accepted.flatMap(([command, flags]) =>
      [...flags]
        .filter((flag) => !FLAGS_TOLD_IN_GENERAL.includes(flag) && !told.get(command)!.has(flag))
        .map((flag) => `engram ${command} ${flag}`),
    );
    assert.deepEqual(untold, [], 'flags no passage naming their command tells of');
    const everything = EVERY_DOCUMENT.map(text).join('\n');
    assert.deepEqual(
      FLAGS_TOLD_IN_GENERAL.filter((flag) => !new RegExp(`${flag}(?![\\w-])`).test(everything)),
      [],
      'general flags no document names',
    );
  });

  it("lists in each command's --help every flag the command accepts, so the help tells what the README does", async () => {
    const unlisted = await Promise.all(
      Object.keys(CLI_COMMANDS).map(async (command) => {
        const help = await runEngram([command, '--help'], {}, tempDir());
        assert.equal(help.code, 0, `engram ${command} --help: ${help.stderr}`);
        return [...(await acceptedFlags(command))]
          .filter((flag) => flag !== '--help' && !new RegExp(`${flag}(?![\\w-])`).test(help.stdout))
          .map((flag) => `engram ${command} ${flag}`);
      }),
    );
    assert.deepEqual(unlisted.flat(), [], 'flags a command takes that its --help does not list');
  });

  it('gives each engram command only flags it accepts', async () => {
    const uses: { where: string; command: string; flag: string }[] = [];
    for (const document of EVERY_DOCUMENT) {
      text(document)
        .split('\n')
        .forEach((line, index) => {
          // The command as typed, up to the end of its code span, a shell comment or a table cell.
          for (const [, command, rest] of line.matchAll(/(?:npx |`|-- |^)engram ([a-z][\w-]*)([^`#|]*)/g)) {
            for (const [flag] of rest.matchAll(/--[a-z][\w-]*/g)) {
              uses.push({ where: `${document}:${index + 1}`, command, flag });
            }
          }
        });
    }
    const commands = [...new Set(uses.map((use) => use.command))].filter((command) => command in CLI_COMMANDS);
    const accepted = new Map(await Promise.all(commands.map(async (c) => [c, await acceptedFlags(c)] as const)));
    const refused = uses.filter(({ command, flag }) => accepted.has(command) && !accepted.get(command)!.has(flag));
    assert.deepEqual(
      refused.map(({ where, command, flag }) => `${where}: engram ${command} ${flag}`),
      [],
    );
    assert.ok(uses.length > 40, `found ${uses.length} flags`);
  });
});
