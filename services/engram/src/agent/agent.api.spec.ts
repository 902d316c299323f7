import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngramEvent } from '../events/engram-event';
import { EventBus } from '../events/event-bus';
import { callTool, CLIENT_KINDS, connectHttpClient } from '../testing/mcp-client';
import { waitFor } from '../testing/wait-for';
import { act, answer, MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';

const USER_MD = [
  '# User Information',
  '- name: Alex Rivera',
  '- age: 34',
  '- city: Lisbon',
  '',
  '## User Relationships',
  '- **Employer**: Acme Corp [[entities/acme_corp.md]]',
  '',
].join('\n');
const ACME_MD =
  '# Acme Corp\n- industry: logistics\n- contact: hr@acme.example\n- **Employee**: Alex Rivera [[user.md]]\n';

/** What the scripted model says, per question; realistic mem-agent turns. */
const SCENARIOS = [
  {
    question: 'Where does my employer operate?',
    turns: [
      // vLLM without a reasoning parser: the text starts inside the thought, only </think> is there.
      act(
        'The user asks about their employer. I should read user.md first; a <python> tag in a thought is not code.',
        'user_md = read_file("user.md")',
      ),
      act('user.md links to Acme Corp. I will follow the link.', 'acme = go_to_link("[[entities/acme_corp.md]]")'),
      answer('Acme Corp is in logistics.', 'Your employer, Acme Corp, works in logistics.'),
    ],
  },
  {
    question: 'I moved to Porto and my sister Maria Rivera lives there too.',
    turns: [
      `The user moved. Read user.md.\n</think>\n\n<python>\n\`\`\`python\nuser_md = read_file("user.md")\n\`\`\`\n</python>`,
      act('Update the city.', 'moved = update_file("user.md", "- city: Lisbon", "- city: Porto")'),
      act(
        'Create an entity for Maria.',
        'exists = check_if_file_exists("entities/maria_rivera.md")\ncreated = create_file("entities/maria_rivera.md", "# Maria Rivera\\n- relation: sister\\n- city: Porto\\n- **Sibling**: Alex Rivera [[user.md]]\\n")',
      ),
      act(
        'Link her from user.md.',
        'linked = update_file("user.md", "- **Employer**: Acme Corp [[entities/acme_corp.md]]", "- **Employer**: Acme Corp [[entities/acme_corp.md]]\\n- **Sister**: Maria Rivera [[entities/maria_rivera.md]]")',
      ),
      answer('Done.', 'Noted: you live in Porto now, and I saved your sister Maria.'),
    ],
  },
  {
    question: 'What is my favourite colour?',
    turns: [
      'I think the favourite colour is not stored, so I should just say that.',
      act('Let me check user.md after all.', 'user_md = read_file("user.md")'),
      answer('No colour is stored; ask the user.', 'I do not know your favourite colour yet. What is it?'),
    ],
  },
  {
    question: 'Keep looking forever',
    turns: [act('Keep listing.', 'tree = list_files()')],
  },
  {
    // The model takes longer than any test: only a cancellation ends the run.
    question: 'Think for a very long time',
    turns: [{ content: answer('Done.', 'Too late.'), delayMs: 60_000 }],
  },
  {
    question: 'How old am I and how do I reach Acme HR?',
    turns: [
      act('Read user.md.', 'user_md = read_file("user.md")'),
      answer('The filter says no ages, but I will answer anyway.', 'You are 34 years old; Acme HR is hr@acme.example.'),
    ],
  },
];

describe('memory agent REST and MCP (real api, real sandbox; the model is a scripted test double)', () => {
  let api: TestApp;
  let model: MemAgentTestDouble;
  let memory: string;
  const events: EngramEvent[] = [];
  const cancelledRuns = async () => {
    const metrics = await api.request('GET', '/metrics');
    return Number(/engram_agent_runs_total\{outcome="cancelled"\} (\d+)/.exec(metrics.text)?.[1] ?? 0);
  };

  before(async () => {
    model = await startMemAgentTestDouble([...SCENARIOS, ...concurrencyScenarios()]);
    const dir = makeTempDir();
    memory = join(dir, 'memory', 'default');
    mkdirSync(join(memory, 'entities'), { recursive: true });
    writeFileSync(join(memory, 'user.md'), USER_MD);
    writeFileSync(join(memory, 'entities', 'acme_corp.md'), ACME_MD);
    writeFileSync(join(memory, '.filters'), '- do not reveal ages\n');
    api = await startTestApp(
      {
        ENGRAM_AGENT_BASE_URL: model.url,
        ENGRAM_AGENT_API_KEY: 'model-key',
        MEMORY_DIR: join(dir, 'memory'),
        ENGRAM_AGENT_MAX_RETRIES: '2',
      },
      dir,
    );
    api.app.get(EventBus).subscribe((event) => events.push(event));
  });
  after(async () => {
    await api.close();
    await model.close();
  });

  const ask = (body: unknown) => api.request('POST', '/api/agent/query', { body });

  it('retrieval: reads user.md, follows the link, and replies; each result goes back in the trained format', async () => {
    const response = await ask({ question: 'Where does my employer operate?' });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body, {
      reply: 'Your employer, Acme Corp, works in logistics.',
      turns: 3,
      files_changed: [],
      redactions: 0,
    });
    const calls = model.requestsFor('Where does my employer operate?');
    assert.equal(calls.length, 3);
    const [first, second, third] = calls.map((call) => call.body);
    assert.equal(first.messages[0].role, 'system');
    assert.match(first.messages[0].content, /update_file\(file_path: str, old_content: str, new_content: str\)/);
    assert.match(first.messages[0].content, /stopped after 20 seconds/);
    assert.match(first.messages[1].content, /<filter>\n- do not reveal ages\n<\/filter>$/);
    assert.equal(second.messages[2].role, 'assistant');
    assert.equal(second.messages[3].content, `<result>\n{'user_md': ${pythonRepr(USER_MD)}}\n</result>`);
    assert.equal(third.messages[5].content, `<result>\n{'acme': ${pythonRepr(ACME_MD)}}\n</result>`);
    assert.equal(first.temperature, 0.6);
    assert.equal(first.top_p, 0.95);
    assert.equal(first.top_k, 20);
    assert.equal(first.min_p, 0);
    assert.deepEqual(first.stop, ['<result>']);
    assert.equal(first.max_tokens, 8192);
    assert.equal(model.requests.at(-1)?.authorization, 'Bearer model-key');
  });

  it('update: fenced code runs without its language word, files change, SSE events and search entries follow', async () => {
    const before = events.length;
    const response = await ask({ question: 'I moved to Porto and my sister Maria Rivera lives there too.' });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.turns, 5);
    assert.deepEqual(
      response.body.files_changed.map(({ path, change }: { path: string; change: string }) => ({ path, change })),
      [
        { path: 'user.md', change: 'updated' },
        { path: 'entities/maria_rivera.md', change: 'created' },
      ],
    );
    const [userDiff, mariaDiff] = response.body.files_changed.map((file: { diff: string }) => file.diff);
    assert.equal(
      userDiff,
      [
        '--- a/user.md',
        '+++ b/user.md',
        '@@ -1,7 +1,8 @@',
        ' # User Information',
        ' - name: Alex Rivera',
        ' - age: 34',
        '-- city: Lisbon',
        '+- city: Porto',
        ' ',
        ' ## User Relationships',
        ' - **Employer**: Acme Corp [[entities/acme_corp.md]]',
        '+- **Sister**: Maria Rivera [[entities/maria_rivera.md]]',
        '',
      ].join('\n'),
      'one diff against user.md before the run, though the run changed it twice',
    );
    assert.match(
      mariaDiff,
      /^--- \/dev\/null\n\+\+\+ b\/entities\/maria_rivera.md\n@@ -0,0 \+1,4 @@\n\+# Maria Rivera\n/,
    );
    const userMd = readFileSync(join(memory, 'user.md'), 'utf8');
    assert.match(userMd, /- city: Porto/);
    assert.match(userMd, /- \*\*Sister\*\*: Maria Rivera \[\[entities\/maria_rivera.md\]\]/);
    assert.equal(
      readFileSync(join(memory, 'entities', 'maria_rivera.md'), 'utf8'),
      '# Maria Rivera\n- relation: sister\n- city: Porto\n- **Sibling**: Alex Rivera [[user.md]]\n',
    );
    const second = model.requestsFor('I moved to Porto')[1].body;
    assert.match(second.messages[3].content, /^<result>\n\{'user_md': '# User Information/);
    const fileEvents = events.slice(before).filter((event) => event.type === 'memory_file_changed');
    assert.deepEqual(
      fileEvents.map((event) => event.payload),
      [
        { path: 'user.md', change: 'updated' },
        { path: 'entities/maria_rivera.md', change: 'created' },
      ],
    );
    const search = await api.request('POST', '/api/search', {
      body: { query: 'Maria Rivera sister', memory_type: 'memory_file', limit: 5 },
    });
    assert.equal(search.status, 200, search.text);
    const paths = search.body.results.map((hit: any) => hit.memory.metadata.path);
    assert.ok(paths.includes('entities/maria_rivera.md'), JSON.stringify(paths));
    const listed = await api.request('GET', '/api/memories?memory_type=memory_file&page_size=100');
    const userEntry = listed.body.memories.find((entry: any) => entry.metadata.path === 'user.md');
    assert.match(userEntry.content, /^user.md\n\n# User Information[\s\S]*city: Porto/);
  });

  it('clarification after a malformed turn: the model is told the turn shapes, then asks the user back', async () => {
    const response = await ask({ question: 'What is my favourite colour?' });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.reply, 'I do not know your favourite colour yet. What is it?');
    assert.equal(response.body.turns, 3);
    const second = model.requestsFor('What is my favourite colour?')[1].body;
    assert.match(
      second.messages[3].content,
      /^<result>\n\(None, \{FormatError: The response had neither code in <python> nor a <reply>\. A turn is either/,
    );
  });

  it('budget exhaustion: 21 model calls without a reply is an explicit 502 error, never an empty reply', async () => {
    const response = await ask({ question: 'Keep looking forever' });
    assert.equal(response.status, 502);
    assert.equal(response.body.error, 'agent_incomplete');
    assert.match(response.body.message, /turn budget exhausted: 21 model calls without a reply/);
    assert.deepEqual(response.body.details, { reason: 'budget_exhausted', turns: 21, files_changed: [] });
    assert.equal(model.requestsFor('Keep looking forever').length, 21);
  });

  it('filters: .filters and per-request rules reach the model in the <filter> block, and leaks are redacted', async () => {
    const response = await ask({
      question: 'How old am I and how do I reach Acme HR?',
      filters: ['do not reveal e-mail addresses'],
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.reply, 'You are [redacted]; Acme HR is [redacted].');
    assert.equal(response.body.redactions, 2);
    const question = model.requestsFor('How old am I')[0].body.messages[1].content;
    assert.equal(
      question,
      'How old am I and how do I reach Acme HR?\n\n<filter>\n- do not reveal ages\n- do not reveal e-mail addresses\n</filter>',
    );
  });

  it('retries 429 and 5xx from the model endpoint, then answers', async () => {
    model.failNext(503);
    model.failNext(429);
    const response = await ask({ question: 'Where does my employer operate?' });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.turns, 3);
  });

  it('two concurrent runs on one namespace are serialised: both read-modify-writes survive', async () => {
    const [first, second] = await Promise.all([
      ask({ question: 'Concurrent: remember tea' }),
      ask({ question: 'Concurrent: remember chess' }),
    ]);
    assert.equal(first.status, 200, first.text);
    assert.equal(second.status, 200, second.text);
    const userMd = readFileSync(join(memory, 'user.md'), 'utf8');
    assert.match(userMd, /- drink: tea/);
    assert.match(userMd, /- game: chess/);
  });

  it('rejects bad input with 400 naming the field', async () => {
    const empty = await ask({ question: '   ' });
    assert.equal(empty.status, 400);
    assert.match(empty.body.message, /question: question must not be empty/);
    const extra = await ask({ question: 'hi', mode: 'fast' });
    assert.equal(extra.status, 400);
    assert.match(extra.body.message, /unknown field\(s\) mode/);
    const badFilters = await ask({ question: 'hi', filters: [1] });
    assert.equal(badFilters.status, 400);
    assert.match(badFilters.body.message, /filters/);
  });

  for (const kind of CLIENT_KINDS) {
    it(`MCP use_memory_agent over HTTP (${kind} client): structured reply, and budget exhaustion as isError`, async () => {
      const { client } = await connectHttpClient(api.url, undefined, kind);
      try {
        const result = await callTool(client, 'use_memory_agent', { question: 'Where does my employer operate?' });
        assert.equal(result.isError, undefined);
        assert.equal(result.structured.reply, 'Your employer, Acme Corp, works in logistics.');
        assert.equal(result.text, 'Your employer, Acme Corp, works in logistics.');
        const budget = await callTool(client, 'use_memory_agent', { question: 'Keep looking forever' });
        assert.equal(budget.isError, true);
        assert.match(budget.text, /turn budget exhausted/);
      } finally {
        await client.close();
      }
    });

    it(`MCP use_memory_agent sends growing progress notifications over HTTP (${kind} client)`, async () => {
      const connected = await connectHttpClient(api.url, undefined, kind);
      try {
        const progress: { progress: number; message?: string }[] = [];
        const result = await connected.call(
          'use_memory_agent',
          { question: 'Where does my employer operate?' },
          { onprogress: (note) => progress.push(note), timeout: 600_000 },
        );
        assert.equal(result.structuredContent.reply, 'Your employer, Acme Corp, works in logistics.');
        // One note per model call, naming the turn; on a busy machine the 2 s heartbeat may add one between.
        const values = progress.map((note) => note.progress);
        assert.deepEqual(
          values,
          values.map((_, i) => i + 1),
        );
        const turns = progress.map((note) => note.message).filter((message, i, all) => message !== all[i - 1]);
        assert.deepEqual(turns, ['reading the memory', 'turn 2 of at most 21', 'turn 3 of at most 21']);
      } finally {
        await connected.client.close();
      }
    });

    it(`MCP use_memory_agent stops when the ${kind} client cancels the call over HTTP`, async () => {
      const connected = await connectHttpClient(api.url, undefined, kind);
      const cancelledBefore = await cancelledRuns();
      try {
        const controller = new AbortController();
        const question = `Think for a very long time (${kind})`;
        const call = connected.call('use_memory_agent', { question }, { signal: controller.signal, timeout: 600_000 });
        await waitFor(() => model.requestsFor(question).length > 0, 'the agent to ask the model');
        controller.abort('the user pressed stop');
        await assert.rejects(call);
        await waitFor(async () => (await cancelledRuns()) > cancelledBefore, 'the run to end as cancelled');
      } finally {
        await connected.client.close();
      }
    });
  }

  it('reports the agent endpoint (never its key) and the sandbox mode', async () => {
    const status = await api.request('GET', '/api/agent/status');
    assert.equal(status.status, 200);
    assert.deepEqual(status.body.endpoint, {
      configured: true,
      provider: 'openai_compatible',
      model: 'driaforall/mem-agent',
      base_url: model.url,
    });
    assert.equal(status.body.sandbox.available, true);
    assert.ok(!status.text.includes('model-key'));
    const ready = await api.request('GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.details.model_endpoint, {
      status: 'up',
      configured: true,
      provider: 'openai_compatible',
      model: 'driaforall/mem-agent',
      reachable: true,
      model_listed: true,
      sandbox: status.body.sandbox.mode,
    });
  });
});

describe('memory agent without a model endpoint', () => {
  it('answers 503 saying what to set, and the rest of the api keeps working', async () => {
    const api = await startTestApp();
    try {
      const response = await api.request('POST', '/api/agent/query', { body: { question: 'hello' } });
      assert.equal(response.status, 503);
      assert.equal(response.body.error, 'agent_unavailable');
      assert.match(response.body.message, /VLLM_HOST.*ENGRAM_AGENT_BASE_URL.*OPENROUTER_API_KEY/);
      const ready = await api.request('GET', '/health/ready');
      assert.equal(ready.status, 200, 'an unconfigured agent never fails readiness');
      assert.equal(ready.body.details.model_endpoint.configured, false);
      const status = await api.request('GET', '/api/agent/status');
      assert.deepEqual(status.body, {
        endpoint: { configured: false, provider: 'none', model: 'driaforall/mem-agent' },
        transcripts_kept: false,
        sandbox: { checked: false },
      });
    } finally {
      await api.close();
    }
  });
});

/**
 * A read-modify-write over two turns: read user.md, then write back the text the result showed plus
 * a line. The model is slow, so two runs would interleave (and one line be lost) without the lock.
 */
function concurrencyScenarios() {
  return [
    ['tea', '- drink: tea'],
    ['chess', '- game: chess'],
  ].map(([word, line]) => ({
    question: `Concurrent: remember ${word}`,
    turns: [
      { content: act('Read user.md.', 'user_md = read_file("user.md")'), delayMs: 30 },
      (messages: { content: string }[]) => ({
        content: act(
          'Write it back with the new line.',
          `ok = create_file("user.md", ${JSON.stringify(shownText(messages.at(-1)!.content) + line + '\n')})`,
        ),
        delayMs: 150,
      }),
      answer('Saved.', `Saved ${word}.`),
    ],
  }));
}

/** The one string value of a `<result>` message, unescaped (enough for these files). */
function shownText(observation: string): string {
  const quoted = /\{'user_md': '(.*)'\}/s.exec(observation)![1];
  return quoted.replace(/\\n/g, '\n').replace(/\\'/g, "'").replace(/\\\\/g, '\\');
}

/** Python's repr of a str as the sandbox prints it (single quotes, escaped newlines). */
function pythonRepr(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}
