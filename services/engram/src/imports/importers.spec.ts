import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NodeHtmlMarkdown } from 'node-html-markdown';
import { DetectProbe, ImportDocument, ImportEntry, ImportFailure, isFailure } from './imports.types';
import { detectImporter } from './importer-registry';
import { IMPORTERS } from './importers';
import { ImportInput } from './input/import-input';
import { assertLinearCost, assertLinearCostAsync } from '../testing/linear-cost';
import { memoryItems } from './memory-items';
import { wellFormedHtmlPieces } from './sources/well-formed-html';
import { htmlMarkdown } from './sources/html-markdown';
import { htmlTitle } from './sources/documents.importer';
import {
  chatGptConversation,
  chatGptExport,
  claudeConversation,
  engramExport,
  engramExportMemory,
  mcpMemoryServiceDatabase,
  memoryGraphJsonl,
  pdfOf,
  STORED_MEMORIES,
  zipOf,
} from '../testing/import-fixtures';

const LIMITS = { maxUnpackedBytes: 50 * 1024 * 1024, maxEntries: 1000 };
const SETTINGS = { chunkChars: 400, overlapChars: 80, maxContentBytes: 65536 };

describe('importers: every format read into documents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engram-importers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function readAll(name: string, data: Buffer | string, source?: string) {
    const path = join(dir, name);
    writeFileSync(path, data);
    const input = await ImportInput.open(path, name, LIMITS);
    const probe: DetectProbe = { name, kind: input.kind, paths: input.paths, head: input.head };
    const importer = source
      ? IMPORTERS.find((candidate) => candidate.source === source)!
      : await detectImporter(probe, input);
    const entries: ImportEntry[] = [];
    for await (const entry of importer.read(input)) entries.push(entry);
    return {
      source: importer.source,
      documents: entries.filter((entry): entry is ImportDocument => !isFailure(entry)),
      failures: entries.filter(isFailure).map((entry: ImportFailure) => entry.failure),
    };
  }

  /** The source detection picks for a file, without reading it. */
  async function detectedAs(name: string, data: string): Promise<string> {
    const path = join(dir, name);
    writeFileSync(path, data);
    const input = await ImportInput.open(path, name, LIMITS);
    return (await detectImporter({ name, kind: input.kind, paths: input.paths, head: input.head }, input)).source;
  }

  it('ChatGPT: the ZIP is detected, the visible branch of each conversation read, provenance kept', async () => {
    const conversations = JSON.stringify(chatGptExport(3));
    const zip = zipOf([
      { name: 'conversations.json', data: conversations },
      { name: 'chat.html', data: '<html></html>' },
      { name: 'user.json', data: '{}' },
    ]);
    const { source, documents } = await readAll('chatgpt.zip', zip);
    assert.equal(source, 'chatgpt');
    assert.equal(documents.length, 3);
    const [first] = documents;
    assert.equal(first.originalId, 'conv-0');
    assert.equal(first.title, 'Planning topic 0');
    assert.equal(first.createdAt, 1715176560_000);
    assert.ok(first.body.kind === 'conversation' && first.body.turns.length === 4);
    assert.ok(!JSON.stringify(first.body).includes('ABANDONED'), 'the abandoned branch is left out');
    const items = memoryItems(first, SETTINGS);
    assert.equal(items.length, 2, 'one memory per exchange');
    assert.match(items[0].memory.content, /^\[user\] How should I organise project 0\?\n\[assistant\] Split project 0/);
    const metadata = items[0].memory.metadata as Record<string, any>;
    assert.equal(metadata.conversation_id, 'conv-0');
    assert.equal(metadata.conversation_title, 'Planning topic 0');
    assert.deepEqual(metadata.import.source, 'chatgpt');
    assert.equal(metadata.import.original_created_at, '2024-05-08T13:56:00.000Z');
    assert.deepEqual(items[0].memory.tags, ['chatgpt']);
    assert.equal(items[0].memory.memory_type, 'conversation');
  });

  it('ChatGPT and Claude: a bare conversations.json is told apart by its content; wrong shapes are failures naming the line', async () => {
    const chatgpt = JSON.stringify(
      [chatGptConversation('c1', 'One', [{ role: 'user', text: 'hi' }]), { title: 'no mapping' }],
      null,
      1,
    );
    const read = await readAll('conversations.json', chatgpt);
    assert.equal(read.source, 'chatgpt');
    assert.equal(read.documents.length, 1);
    assert.match(read.failures[0].item, /conversations\.json, conversation 2 \("no mapping", line \d+\)/);
    assert.match(read.failures[0].reason, /mapping/);
    const claude = JSON.stringify([
      claudeConversation('u1', 'Garden', [
        { role: 'user', text: 'When to plant tomatoes?' },
        { role: 'assistant', text: 'After the last frost.' },
      ]),
    ]);
    const claudeRead = await readAll('claude.json', claude);
    assert.equal(claudeRead.source, 'claude');
    const turns = claudeRead.documents[0].body.kind === 'conversation' ? claudeRead.documents[0].body.turns : [];
    assert.deepEqual(
      turns.map((turn) => turn.role),
      ['user', 'assistant'],
    );
  });

  it("detection reads each format's marks at their own depth: a message quoting another format's JSON changes nothing", async () => {
    // What each format's detection once looked for anywhere in the head, quoted as text and as real JSON keys.
    const mcpMemory = { content: 'The boiler is serviced in October', content_hash: 'h-boiler', tags: ['home'] };
    const chatGptKeys = { mapping: { n1: { id: 'n1', children: [] } }, current_node: 'n1' };
    const quoted = [mcpMemory, chatGptKeys, { chat_messages: [] }, { type: 'entity', name: 'x' }]
      .map((value) => JSON.stringify(value))
      .join('\n');
    const claudeQuoting = (extra: Record<string, unknown>) => {
      const conversation = claudeConversation('u1', 'Memory tools', [
        { role: 'user', text: `Store these:\n${quoted}` },
        { role: 'assistant', text: 'Stored.' },
      ]);
      // A tool call's input is real JSON in Claude's export, not text: the keys show unescaped.
      conversation.chat_messages[1].content.push({ type: 'tool_use', input: extra } as never);
      return JSON.stringify([conversation], null, 1);
    };
    const chatGpt = chatGptConversation('c1', 'Memory tools', [
      { role: 'user', text: `Store these:\n${quoted}` },
      { role: 'assistant', text: 'Stored.' },
    ]);
    // ChatGPT keeps tool and attachment details as JSON in a message's metadata.
    (chatGpt.mapping['c1-m0'] as { message: { metadata: unknown } }).message.metadata = {
      attachments: [{ content_hash: 'h-boiler', chat_messages: 1 }],
    };
    const mcpExport = JSON.stringify({
      export_metadata: { total_memories: 1 },
      memories: [{ ...mcpMemory, content: `Quoted:\n${quoted}`, metadata: { ...chatGptKeys, chat_messages: [] } }],
    });
    const graph = [
      { type: 'entity', name: 'content', entityType: 'field', observations: ['content_hash', 'chat_messages', quoted] },
      { type: 'relation', from: 'content', to: 'content_hash', relationType: 'names' },
    ]
      .map((line) => JSON.stringify(line))
      .join('\n');
    const cases: [string, string, string][] = [
      ['claude.json', claudeQuoting(mcpMemory), 'claude'],
      ['conversations.json', claudeQuoting(chatGptKeys), 'claude'],
      ['conversations.json', JSON.stringify([chatGpt], null, 2), 'chatgpt'],
      ['export.json', mcpExport, 'mcp-memory-service'],
      ['memory.jsonl', graph, 'memory-graph'],
      ['export.ndjson', engramExport([engramExportMemory(`Quoted:\n${quoted}`, { metadata: chatGptKeys })]), 'engram'],
      ['notes.md', `# MCP export format\n\n\`\`\`json\n[${JSON.stringify(mcpMemory)}]\n\`\`\`\n`, 'markdown'],
      [
        'claude-format.txt',
        `A Claude conversation looks like this:\n[{"uuid": "u", "chat_messages": []}]\n`,
        'documents',
      ],
    ];
    const detected: string[] = [];
    for (const [name, text] of cases) {
      assert.ok(text.length < 4096, `${name}: the whole file is in the head`);
      detected.push(`${name}: ${await detectedAs(name, text)}`);
    }
    assert.deepEqual(
      detected,
      cases.map(([name, , source]) => `${name}: ${source}`),
    );
  });

  it('ChatGPT: a bare conversations.json is detected when its first conversation is longer than the head', async () => {
    // The export writes current_node after the whole mapping: past the head, its message nodes show instead.
    const long = chatGptConversation(
      'c1',
      'Long',
      Array.from({ length: 40 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', text: `Turn ${i} of a long talk.` })),
    );
    const text = JSON.stringify([long], null, 2);
    assert.ok(text.indexOf('"current_node"') > 4096, 'the head does not show current_node');
    const read = await readAll('conversations.json', text);
    assert.equal(read.source, 'chatgpt');
    assert.equal(read.documents.length, 1);
  });

  it("names an item of the wrong shape by its title and the field by the export's own key, in plain words", async () => {
    const chatgpt = [
      chatGptConversation('c1', 'One', [{ role: 'user', text: 'hi' }]),
      { title: 'Trip plans', mapping: 5 },
      { id: 'c3', mapping: { n1: { message: { author: {}, content: { content_type: 'text' } } } } },
    ];
    const read = await readAll('conversations.json', JSON.stringify(chatgpt, null, 1), 'chatgpt');
    assert.deepEqual(read.failures, [
      {
        item: `conversations.json, conversation 2 ("Trip plans", line ${lineOf(chatgpt, 1)})`,
        reason: 'not a conversation of this export: "mapping" is a number, expected an object',
      },
      {
        item: `conversations.json, conversation 3 ("c3", line ${lineOf(chatgpt, 2)})`,
        reason:
          'not a conversation of this export: "mapping" → "n1" → "message" → "author" → "role" is missing, expected text',
      },
    ]);

    const garden = claudeConversation('u1', 'Garden', [{ role: 'user', text: 'When to plant tomatoes?' }]);
    const claude = [{ ...garden, chat_messages: [...garden.chat_messages, { uuid: 'u1-1', sender: 7 }] }];
    assert.deepEqual((await readAll('conversations.json', JSON.stringify(claude), 'claude')).failures, [
      {
        item: 'conversations.json, conversation 1 ("Garden", line 1)',
        reason: 'not a conversation of this export: "chat_messages" → entry 2 → "sender" is a number, expected text',
      },
    ]);

    const memories = [
      { content: 'Kept', content_hash: 'h1' },
      { content: 12, content_hash: 'h2' },
      { content: 'Tagged   with\na number', tags: 3 },
      { content: `A long memory ${'about boats '.repeat(10)}`, created_at: true },
    ];
    const mcp = await readAll('export.json', JSON.stringify({ memories }, null, 1), 'mcp-memory-service');
    assert.equal(mcp.documents.length, 1);
    assert.deepEqual(mcp.failures, [
      { item: 'export.json, memory 2 ("h2", line 7)', reason: '"content" is a number, expected text' },
      {
        item: 'export.json, memory 3 ("Tagged with a number", line 11)',
        reason: '"tags" is a number, expected a list or text',
      },
      {
        item: 'export.json, memory 4 ("A long memory about boats about boats about boats about boat…", line 15)',
        reason: '"created_at" is true, expected a number or text',
      },
    ]);
  });

  it('a conversations.json that is not JSON at all is refused with the position; one cut short fails where it ends', async () => {
    const cut = await readAll('conversations.json', '[{"mapping": {}, "title": ', 'chatgpt');
    assert.deepEqual(cut.failures, [
      { item: 'conversations.json, conversation 1 (line 1)', reason: 'the file ends inside it (truncated?)' },
    ]);
    await assert.rejects(
      readAll('garbage.json', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), 'claude'),
      /malformed JSON at line 1, column 1/,
    );
  });

  it('markdown vault: front matter tags, titles, [[links]] kept, folders remembered', async () => {
    const zip = zipOf([
      {
        name: 'Vault/Projects/Trip.md',
        data: '---\ntags: [travel, Family]\ncreated: 2024-03-01\n---\n# Trip to Lisbon\nSee [[People/Ana]] and [[Budget|the budget]].',
      },
      { name: 'Vault/People/Ana.md', data: 'Ana likes hiking.' },
      { name: 'Vault/.obsidian/workspace.json', data: '{}' },
      { name: 'Vault/attachments/photo.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
    ]);
    const { source, documents } = await readAll('vault.zip', zip);
    assert.equal(source, 'markdown');
    assert.equal(documents.length, 2);
    const trip = documents.find((document) => document.title === 'Trip to Lisbon')!;
    assert.deepEqual(trip.tags, ['travel', 'Family']);
    assert.equal(trip.createdAt, Date.parse('2024-03-01'));
    assert.deepEqual(trip.metadata.links, ['People/Ana', 'Budget|the budget']);
    assert.equal(trip.folder, 'Vault/Projects');
    assert.ok(trip.body.kind === 'text' && trip.body.text.includes('[[People/Ana]]'));
    assert.deepEqual(memoryItems(trip, SETTINGS)[0].memory.tags, ['family', 'travel']);
    assert.equal(documents.find((document) => document.file.endsWith('Ana.md'))!.title, 'Ana');
  });

  it('Notion: pages lose their id suffix in titles, database rows become records, _all.csv preferred', async () => {
    const id = '0123456789abcdef0123456789abcdef';
    const zip = zipOf([
      { name: `Workspace ${id}/Reading list ${id}.md`, data: '# Reading list\n\nBooks to read.' },
      { name: `Workspace ${id}/Books ${id}.csv`, data: 'Name,Author\nDune,Herbert\n' },
      {
        name: `Workspace ${id}/Books ${id}_all.csv`,
        data: '\ufeffName,Author,Status\nDune,Herbert,Read\nEmma,Austen,\n',
      },
    ]);
    const { source, documents } = await readAll('notion.zip', zip);
    assert.equal(source, 'notion');
    assert.deepEqual(documents.map((document) => document.title).sort(), ['Dune', 'Emma', 'Reading list']);
    const page = documents.find((document) => document.title === 'Reading list')!;
    assert.equal(page.originalId, id);
    assert.equal(page.folder, 'Workspace');
    const dune = documents.find((document) => document.title === 'Dune')!;
    assert.ok(dune.body.kind === 'record');
    assert.equal(dune.body.text, 'Books\n- Name: Dune\n- Author: Herbert\n- Status: Read');
  });

  it('documents: PDF pages, HTML as markdown, JSON arrays as records, CSV rows, Latin-1 text', async () => {
    const pdf = await readAll(
      'report.pdf',
      pdfOf([['Quarterly report.', 'Revenue grew.'], ['Second page about costs.']]),
    );
    assert.equal(pdf.source, 'documents');
    const body = pdf.documents[0].body;
    assert.ok(body.kind === 'text');
    assert.match(body.text, /Quarterly report\.[\s\S]*Second page about costs\./);
    assert.deepEqual(
      body.pages?.map((page) => page.number),
      [1, 2],
    );
    assert.deepEqual((memoryItems(pdf.documents[0], SETTINGS)[0].memory.metadata as any).pages, [1, 2]);

    const html = await readAll(
      'page.html',
      '<html><head><title>Recipes</title></head><body><h1>Soup</h1><p>Boil <b>water</b>.</p><script>x()</script></body></html>',
    );
    assert.equal(html.documents[0].title, 'Recipes');
    assert.ok(
      html.documents[0].body.kind === 'text' && /# Soup\s+Boil \*\*water\*\*\./.test(html.documents[0].body.text),
    );

    const json = await readAll('facts.json', JSON.stringify([{ fact: 'The sky is blue' }, 'Plain string fact']));
    assert.deepEqual(
      json.documents.map((document) => document.body.kind === 'record' && document.body.text),
      ['{\n  "fact": "The sky is blue"\n}', 'Plain string fact'],
    );

    const csv = await readAll('people.csv', 'name,city\nAna,Lisbon\nBo,\n');
    assert.deepEqual(
      csv.documents.map((document) => document.body.kind === 'record' && document.body.text),
      ['- name: Ana\n- city: Lisbon', '- name: Bo'],
    );

    const latin1 = Buffer.from(
      'Crème brûlée is a dessert made with cream, sugar and vanilla. Déjà vu, naïve façade.',
      'latin1',
    );
    const text = await readAll('dessert.txt', latin1);
    assert.ok(text.documents[0].body.kind === 'text' && text.documents[0].body.text.startsWith('Crème brûlée'));
  });

  it('documents: the HTML <title> is found in linear time, whatever the page', () => {
    assert.equal(htmlTitle('<html><head><TITLE lang="en"> Plans </TITLE></head>'), 'Plans');
    assert.equal(htmlTitle('<titles>no</titles><title>yes</title>'), 'yes');
    assert.equal(htmlTitle('<title>unclosed'), undefined);
    const hostile: [string, (n: number) => string][] = [
      ['unclosed <title', (n) => '<title'.repeat(n)],
      ['untitled text', (n) => `<title>${'x'.repeat(5 * n)}`],
      ['<title x', (n) => '<title x'.repeat(n)],
    ];
    for (const [label, build] of hostile) assertLinearCost(label, (scale) => build(40_000 * scale), htmlTitle);
  });

  it('documents: HTML nested past 256 levels is refused naming the file; long unclosed lists still convert', async () => {
    await assert.rejects(
      readAll('deep.html', '<div>'.repeat(257)),
      /deep\.html: its HTML elements nest more than 256 deep/,
    );
    await assert.rejects(readAll('bold.html', `${'<b x="1">'.repeat(300)}text`), /bold\.html: .* more than 256 deep/);
    const balanced = await readAll('balanced.html', `${'<div>'.repeat(256)}deep text${'</div>'.repeat(256)}`);
    assert.ok(balanced.documents[0].body.kind === 'text' && balanced.documents[0].body.text.includes('deep text'));
    const list = await readAll('list.html', `<ul>${'<li>item'.repeat(2000)}</ul>${'<p>para'.repeat(2000)}`);
    assert.ok(list.documents[0].body.kind === 'text' && list.documents[0].body.text.includes('item'));
  });

  it('documents: HTML is rewritten well-formed before it is converted, as a browser would read it', () => {
    const cases: [string, string][] = [
      ['<span><em></span>x', '<span><em></em></span>x'],
      ['<p>a<!-- note --><p>b<!-- never closed <b>lost</b>', '<p>a<!----></p><p>b</p>'],
      ['<ul><li>a<li>b</ul></div><td>1<td>2</tr>', '<ul><li>a</li><li>b</li></ul><td>1</td><td>2</td>'],
      [
        `<a href="x>y" title='say "hi"'>link</a><img src=a.png alt="a < b">`,
        '<a href="x&gt;y" title="say &quot;hi&quot;">link</a><img src="a.png" alt="a &lt; b">',
      ],
      ['<script>if (a</b) go()</SCRIPT >after<title>A <b> title</title>', '<!---->after<title>A &lt;b> title</title>'],
      ['a < b <3 <a,b> <div/>', 'a &lt; b &lt;3 &lt;a,b> <div></div>'],
      ['<a href=1>one<a href=2>two', '<a href="1">one</a><a href="2">two</a>'],
      ['<p>kept <a title="never closed>rest', '<p>kept </p>'],
    ];
    for (const [html, wellFormed] of cases) assert.deepEqual(wellFormedHtmlPieces(html), [wellFormed], html);
  });

  it('documents: a code block too long for one piece of HTML is cut at a line end', () => {
    const pieces = wellFormedHtmlPieces(`<pre>x<i>y</i>${'<span>let</span> a = 1;\n'.repeat(3000)}</pre>`)!;
    assert.ok(pieces.length > 1);
    for (const piece of pieces.slice(0, -1)) assert.ok(piece.endsWith(';\n</pre>'), piece.slice(-40));
  });

  it('documents: an HTML page costs time in proportion to its length, however it is broken', async () => {
    // Each took the old importer time growing with the square or cube of its length (the first two hours
    // at a few hundred kilobytes): mis-nested and unclosed tags, comments and quotes never closed, and
    // pages of many small elements, which the converter re-reads the Markdown for one by one.
    const hostile: [string, (n: number) => string][] = [
      ['mis-nested tags', (n) => '<span><em></span>x'.repeat(n)],
      ['unclosed comments', (n) => `text${'<!--'.repeat(4 * n)}`],
      ['closed comments', (n) => '<!-- c -->x'.repeat(n)],
      ['unbalanced quotes', (n) => '<a title="x>y</a> '.repeat(n)],
      ['< floods', (n) => '<'.repeat(16 * n)],
      ['a huge attribute', (n) => `<a href="${'x'.repeat(16 * n)}">y</a>`],
      ['many tables', (n) => '<table><tr><td>a</td><td>b</td></tr></table>'.repeat(n / 2)],
      ['many bold words', (n) => '<b>x</b> '.repeat(2 * n)],
      ['many line breaks', (n) => 'x<br>'.repeat(n)],
    ];
    for (const [label, build] of hostile) {
      await assertLinearCostAsync(
        label,
        (scale) => build(2_000 * scale),
        async (html) => void (await readAll('hostile.html', html)),
      );
    }
  });

  it('documents: a long run of one character in HTML costs time in proportion to its length, wherever it stands', async () => {
    // node-html-markdown's stock rules read such a run again from each of its characters: a word in a list
    // item (160 KB took 18 s), digits in any text, blank lines of a code block in a list item, a quote or a
    // table cell, spaces in a table's text.
    const hostile: [string, (n: number) => string][] = [
      ['a word in a list item', (n) => `<ul><li>${'x'.repeat(3 * n)}</li></ul>`],
      ['underscores in a numbered list item', (n) => `<ol><li>${'_'.repeat(n)}</li></ol>`],
      ['a code block of blank lines in a list item', (n) => `<ul><li><pre>a${' \n'.repeat(2 * n)}-</pre></li></ul>`],
      ['digits', (n) => `<p>${'1'.repeat(3 * n)}</p>`],
      ['blank lines in a quote', (n) => `<blockquote><pre>a${'\n'.repeat(3 * n)}b</pre></blockquote>`],
      ['blank lines in a table cell', (n) => `<table><tr><td><pre>a${'\n'.repeat(3 * n)}b</pre></td></tr></table>`],
      ['spaces in a table outside its cells', (n) => `<table><pre>a${' '.repeat(3 * n)}b</pre></table>`],
    ];
    for (const [label, build] of hostile) {
      await assertLinearCostAsync(
        label,
        (scale) => build(2_000 * scale),
        async (html) => void (await readAll('hostile.html', html)),
      );
    }
  });

  it("documents: HTML's Markdown is the stock converter's, list items, quotes, tables and escapes alike", () => {
    const pages = [
      '<ul><li>one  <b>bold</b>   </li><li>two<br>lines<br>- not a list</li><li><p>para</p><ul><li>nested<br>3. x</li></ul></li></ul>',
      '<ol><li>first</li><li>   </li><li>third<pre>code\n\n  - dash\n| pipe\n12. twelve</pre>after</li></ol>',
      '<blockquote><p>quoted</p><blockquote>inner<pre>\n\nline\n\n</pre></blockquote></blockquote><blockquote></blockquote>',
      '<table><caption>Cap</caption><tr><th>a|b</th><td><pre>\n1\n\n2\n</pre></td></tr><tr><td>x</td><td></td></tr></table>',
      '<table><tr><td>a</td></tr>text |  <pre>| x |\u2028 |  \n|</pre><tr><td>b</td><td>c</td></tr></table><table></table>',
      '<p>1999. A year</p><p>+ plus # hash > gt - dash = eq 12345. 6789.x</p><pre>  + kept\n\n\n\n  # also</pre>',
    ];
    for (const page of pages) {
      assert.equal(htmlMarkdown(page), new NodeHtmlMarkdown().translate(wellFormedHtmlPieces(page)!.join('')), page);
    }
  });

  it('documents: binary garbage, an unknown type and a broken PDF are refused naming the file', async () => {
    await assert.rejects(
      readAll('notes.txt', Buffer.from([1, 2, 0, 0, 3, 255, 254, 0])),
      /notes\.txt looks like binary data/,
    );
    await assert.rejects(readAll('image.bin', Buffer.from('hello'), 'documents'), /image\.bin: unsupported file type/);
    await assert.rejects(readAll('broken.pdf', '%PDF-1.4\nnot really'), /broken\.pdf is not a readable PDF/);
    await assert.rejects(readAll('bad.json', '{"a": ', 'documents'), /bad\.json: not valid JSON/);
    const zip = zipOf([
      { name: 'good.txt', data: 'Fine text.' },
      { name: 'bad.pdf', data: 'garbage' },
    ]);
    const mixed = await readAll('mixed.zip', zip);
    assert.equal(mixed.documents.length, 1);
    assert.match(mixed.failures[0].reason, /bad\.pdf is not a readable PDF/);
  });

  it('MCP Memory Service: its SQLite database (deleted memories left out) and its JSON export keep content, tags, type, metadata and times', async () => {
    const path = join(dir, 'sqlite_vec.db');
    mcpMemoryServiceDatabase(path, STORED_MEMORIES);
    const input = await ImportInput.open(path, 'sqlite_vec.db', LIMITS);
    const importer = await detectImporter({
      name: 'sqlite_vec.db',
      kind: input.kind,
      paths: input.paths,
      head: input.head,
    });
    assert.equal(importer.source, 'mcp-memory-service');
    const documents: ImportDocument[] = [];
    for await (const entry of importer.read(input)) if (!isFailure(entry)) documents.push(entry);
    assert.deepEqual(
      documents.map((document) => document.body.kind === 'record' && document.body.text),
      ['We chose PostgreSQL for billing', 'The staging cluster runs on three nodes'],
    );
    const [first] = documents;
    assert.deepEqual(first.tags, ['work', 'decision']);
    assert.equal(first.memoryType, 'decision');
    assert.deepEqual(first.metadata, { project: 'billing' });
    assert.equal(first.createdAt, 1704103200500);
    assert.equal(first.originalId, 'hash-0');

    const exported = JSON.stringify({
      export_metadata: { source_machine: 'test', total_memories: 2 },
      memories: [
        {
          content: 'Exported memory',
          content_hash: 'abc',
          tags: ['x'],
          memory_type: 'learning',
          metadata: { a: 1 },
          created_at: 1700000000,
          created_at_iso: '2023-11-14T22:13:20Z',
        },
        { content: '', tags: [] },
      ],
    });
    const json = await readAll('export.json', exported);
    assert.equal(json.source, 'mcp-memory-service');
    assert.equal(json.documents[0].createdAt, 1700000000000);
    assert.equal(json.failures[0].reason, '"content" is empty');
    await assert.rejects(
      readAll('other.db', Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(200, 7)])),
      /not a readable SQLite database|cannot be read/,
    );
  });

  it('MCP Memory Service: a JSON export is told by its memories wherever their hash lies, and a stray quote costs one memory', async () => {
    // Longer than the 4 KiB head, and its hash comes after its text, as export_memories.py writes them.
    const first = { content: 'A long first memory. '.repeat(300).trim(), content_hash: 'h1', tags: ['x'] };
    const memories = [
      first,
      { content: 'he said hi to me', content_hash: 'h2' },
      { content: 'Third', content_hash: 'h3' },
    ];
    const stray = (json: string) => json.replace('he said hi', 'he said "hi');
    const wrapped = stray(JSON.stringify({ export_metadata: { total_memories: 3 }, memories }, null, 2));
    const bare = stray(JSON.stringify(memories, null, 1));
    for (const [name, text] of [
      ['export.json', wrapped],
      ['memories.json', bare],
      ['export.txt', wrapped],
      ['export', wrapped],
    ]) {
      assert.ok(!text.slice(0, 4096).includes('content_hash'), 'the head shows no hash');
      const read = await readAll(name, text);
      assert.equal(read.source, 'mcp-memory-service', name);
      assert.deepEqual(
        read.documents.map((document) => document.originalId),
        ['h1', 'h3'],
        name,
      );
      assert.equal(read.failures.length, 1, name);
      assert.match(read.failures[0].item, new RegExp(`^${name}, memory 2 \\(line \\d+\\)$`));
      assert.match(read.failures[0].reason, /a quote inside a text is not escaped/);
    }
    // The first memory broken too: the next readable one decides.
    const brokenFirst = wrapped.replace('A long first memory.', 'A "long first memory.');
    assert.deepEqual(
      (await readAll('export.json', brokenFirst)).documents.map((document) => document.originalId),
      ['h3'],
    );
    // A JSON array of something else is still a document.
    const other = JSON.stringify([{ content: 'x'.repeat(5000), author: 'me' }]);
    assert.equal((await readAll('notes.json', other)).source, 'documents');
  });

  it('MCP Memory Service: telling a hostile JSON export is linear in its size (broken or hashless memories first)', async () => {
    const good = '{"content": "ok", "content_hash": "h"}';
    const hostile: [string, (n: number) => string][] = [
      [
        'a break in every memory before the good one',
        (n) => `{"memories": [${'{"content": 1 2}, '.repeat(n)}${good}]}`,
      ],
      [
        'stray quotes cutting memories short of their hash',
        (n) => `[${'{"content": "he said "hi to me"}, '.repeat(n)}${good}]`,
      ],
      [
        'a first memory full of stray quotes',
        (n) => `[{"content": "${'a "b '.repeat(n)}", "content_hash": "h1"}, ${good}]`,
      ],
      ['one long first memory', (n) => `[{"content": "${'x'.repeat(n * 20)}", "content_hash": "h"}]`],
    ];
    let files = 0;
    const written = (text: string) => {
      const path = join(dir, `hostile-${files++}.json`);
      writeFileSync(path, text);
      return path;
    };
    const detect = async (path: string) => {
      const input = await ImportInput.open(path, 'hostile.json', LIMITS);
      const probe: DetectProbe = { name: 'hostile.json', kind: input.kind, paths: input.paths, head: input.head };
      assert.equal((await detectImporter(probe, input)).source, 'mcp-memory-service');
    };
    for (const [label, build] of hostile) {
      await assertLinearCostAsync(label, (scale) => written(build(2_000 * scale)), detect);
    }
  });

  it('memory graph JSONL: entities with observations and relations; a malformed line is one failure, by number', async () => {
    const { source, documents } = await readAll('memory.jsonl', memoryGraphJsonl());
    assert.equal(source, 'memory-graph');
    assert.deepEqual(
      documents.map((document) => document.memoryType),
      ['entity', 'entity', 'relation'],
    );
    assert.equal(
      memoryItems(documents[0], SETTINGS)[0].memory.content,
      'Jane Doe (person)\n- Works on the billing service\n- Prefers written updates',
    );
    assert.equal(memoryItems(documents[2], SETTINGS)[0].memory.content, 'Jane Doe works_at Acme Corp');
    const broken = await readAll(
      'memory.jsonl',
      `${memoryGraphJsonl()}\n{"type": "entity", oops}\n{"type": "entity", "name": "After the bad line"}`,
    );
    assert.deepEqual(
      broken.documents.map((document) => document.title),
      ['Jane Doe', 'Acme Corp', 'Jane Doe works_at Acme Corp', 'After the bad line'],
    );
    assert.equal(broken.failures.length, 1);
    assert.equal(broken.failures[0].item, 'memory.jsonl, line 4');
    assert.match(broken.failures[0].reason, /^not valid JSON: /);
  });

  it('JSON nested past 64 levels is refused naming it: a document whole, an exported memory by itself', async () => {
    const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    await assert.rejects(
      readAll('deep.json', `[${deep(50_000)}]`, 'documents'),
      /deep\.json: objects and arrays are nested more than 64 deep/,
    );
    const exported = `[{"content":"kept memory","content_hash":"a1"},{"content":"deep","metadata":${deep(50_000)}}]`;
    const memories = await readAll('export.json', exported, 'mcp-memory-service');
    assert.deepEqual(
      memories.documents.map((document) => document.title),
      ['kept memory'],
    );
    assert.equal(memories.failures.length, 1);
    assert.match(memories.failures[0].reason, /nested more than 64 deep/);
  });

  it('an unrecognisable file is refused with the sources one can name', async () => {
    await assert.rejects(
      readAll('mystery.bin', Buffer.from([9, 9, 9])),
      /cannot tell what kind of export this is; name the source/,
    );
  });
});

/** The line element `index` of `items` starts on in JSON.stringify(items, null, 1). */
function lineOf(items: unknown[], index: number): number {
  return (
    2 +
    items.slice(0, index).reduce<number>((lines, item) => lines + JSON.stringify(item, null, 1).split('\n').length, 0)
  );
}
