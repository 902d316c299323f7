import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { CreateApiKeyBody } from '../auth/keys/api-key.dto';
import { InvalidInput, NotFound } from '../common/domain-errors';
import { StoreMemoryBody } from '../memories/memory.dto';
import { SearchBody } from '../search/search.dto';
import { describeFlagIssues, describeRefusal } from './flag-issues';

const FLAGS: Record<string, string> = { content: '<content>', query: '<query>', memory_type: '--type' };

function problemOf(schema: z.ZodType, input: unknown, flagOf = (field: string) => FLAGS[field] ?? `--${field}`) {
  const parsed = schema.safeParse(input);
  assert.ok(!parsed.success, 'the input was accepted');
  return describeFlagIssues(parsed.error, flagOf);
}

describe('problems of a request built from flags', () => {
  it('names the flag, not the request field the schema names', () => {
    assert.equal(
      problemOf(StoreMemoryBody, { content: 'x', memory_type: 'B@d' }),
      '--type: must be a word of letters, digits, _ or - (e.g. note, observation, decision)',
    );
    assert.equal(
      problemOf(StoreMemoryBody, { content: 'x', memory_type: 'memory_file' }),
      "--type: memory_file is reserved for the memory directory's search entries",
    );
    assert.equal(problemOf(StoreMemoryBody, { content: ' ' }), '<content>: must not be empty');
    assert.equal(problemOf(SearchBody, { query: ' ' }), '<query>: must not be empty');
    assert.equal(problemOf(CreateApiKeyBody, { name: ' ', scopes: ['read'] }), '--name: must not be empty');
    assert.equal(
      problemOf(CreateApiKeyBody, { name: 'ci', scopes: ['read'], namespace: 'B' }),
      '--namespace: must be 1-64 lower-case letters, digits, _ or -',
    );
  });

  it("keeps a message that does not start with the field's name, and says zod's wording plainly", () => {
    assert.equal(problemOf(SearchBody, { query: 'x', mode: 'fuzzy' }), '--mode: expected hybrid, semantic or keyword');
    assert.equal(problemOf(CreateApiKeyBody, { scopes: ['read'] }), '--name is required');
  });

  it("restates a service's refusal about one flag's field, and keeps any other as it is", () => {
    const flagOf = (field: string) => (field === 'item_ids' ? '--items' : undefined);
    const unknownItems = new InvalidInput('item_ids not in proposal set cs-1: 7, 9', {
      issues: [{ path: 'item_ids', message: 'unknown items 7, 9' }],
    });
    assert.equal(describeRefusal(unknownItems, flagOf), '--items: not in proposal set cs-1: 7, 9');
    const notFound = new NotFound('No consolidation proposal set cs-2 in this namespace', { proposal_set_id: 'cs-2' });
    assert.equal(describeRefusal(notFound, flagOf), 'No consolidation proposal set cs-2 in this namespace');
    const otherField = new InvalidInput('created_at is outside the valid date range', {
      issues: [{ path: 'created_at', message: 'out of range' }],
    });
    assert.equal(describeRefusal(otherField, flagOf), 'created_at is outside the valid date range');
  });
});
