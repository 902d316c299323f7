import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callTool, connectHttpClient, McpTestClient } from '../testing/mcp-client';
import { MemAgentTestDouble, startMemAgentTestDouble } from '../testing/mem-agent.test-double';
import { startTestApp, TestApp } from '../testing/test-app';

const TRAVEL = 'We are booking the Lisbon offsite';
const BROKEN = 'This conversation confuses the model';

describe('harvest: candidate memories from a transcript, extracted by the configured chat model', () => {
  let model: MemAgentTestDouble;
  let api: TestApp;
  let mcp: McpTestClient;
  before(async () => {
    model = await startMemAgentTestDouble([
      {
        question: TRAVEL,
        turns: [
          '</think>\n[{"content": "Ana prefers window seats on flights", "memory_type": "preference", "tags": ["travel"]},' +
            ' {"content": "The offsite in Lisbon is on 12 May", "memory_type": "fact"}, {"content": ""}, "not a memory"]',
        ],
      },
      { question: BROKEN, turns: ['I am not sure what you want from me.'] },
    ]);
    api = await startTestApp({ ENGRAM_AGENT_BASE_URL: model.url });
    ({ client: mcp } = await connectHttpClient(api.url));
  });
  after(async () => {
    await mcp.close();
    await api.close();
    await model.close();
  });

  const transcript = `[user] ${TRAVEL}. Ana wants a window seat again.\n[assistant] Noted, 12 May it is.`;

  it('returns checked candidates for review without storing them; unusable items are counted, not kept', async () => {
    const answer = await api.request('POST', '/api/harvest', { body: { transcript } });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(
      answer.body.candidates.map((candidate: any) => candidate.content),
      ['Ana prefers window seats on flights', 'The offsite in Lisbon is on 12 May'],
    );
    assert.equal(answer.body.rejected, 2);
    assert.equal(answer.body.stored, 0);
    const sent = model.requestsFor(TRAVEL).at(-1)!.body.messages;
    assert.equal(sent[1].content, transcript, 'the transcript reaches the model as the user message');
    const search = await api.request('POST', '/api/search', { body: { query: 'window seats', mode: 'keyword' } });
    assert.equal(search.body.total_found, 0, 'nothing stored');
  });

  it('stores the candidates when asked (tagged harvested), and reports them as existing the second time', async () => {
    const turns = [
      { role: 'user', content: `${TRAVEL}. Ana wants a window seat again.` },
      { role: 'assistant', content: 'Noted.' },
    ];
    const stored = await api.request('POST', '/api/harvest', { body: { turns, store: true, tags: ['offsite'] } });
    assert.equal(stored.status, 200, stored.text);
    assert.equal(stored.body.stored, 2);
    const memory = (await api.request('GET', `/api/memories/${stored.body.candidates[0].content_hash}`)).body;
    assert.deepEqual(memory.tags, ['harvested', 'offsite', 'travel']);
    assert.equal(memory.memory_type, 'preference');
    const again = await callTool(mcp, 'memory_harvest', { transcript, store: true, tags: ['offsite'] });
    assert.equal(again.isError, undefined, again.text);
    assert.equal(again.structured.stored, 0);
    assert.ok(again.structured.candidates.every((candidate: any) => candidate.created === false));
  });

  it("answers 502 when the model's reply holds no JSON array, and 400 for a request without a conversation", async () => {
    const broken = await api.request('POST', '/api/harvest', { body: { transcript: BROKEN } });
    assert.equal(broken.status, 502, broken.text);
    assert.equal(broken.body.error, 'model_unavailable');
    const none = await api.request('POST', '/api/harvest', { body: { store: true } });
    assert.equal(none.status, 400);
    assert.match(none.text, /transcript .*turns/);
  });
});

describe('harvest without a chat endpoint', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp();
  });
  after(() => api.close());

  it('answers 503 naming the settings to configure, over REST and MCP', async () => {
    const answer = await api.request('POST', '/api/harvest', { body: { transcript: 'anything' } });
    assert.equal(answer.status, 503);
    assert.match(answer.body.message, /ENGRAM_AGENT_BASE_URL.*VLLM_HOST.*OPENROUTER_API_KEY/);
    const { client } = await connectHttpClient(api.url);
    const tool = await callTool(client, 'memory_harvest', { transcript: 'anything' });
    assert.equal(tool.isError, true);
    assert.match(tool.text, /ENGRAM_AGENT_BASE_URL/);
    await client.close();
  });
});
