import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderConsentPage } from './consent-page';

describe('the consent page', () => {
  it("gives the namespace field a pattern browsers can compile (they use the v flag) that admits exactly the server's namespaces", () => {
    const html = renderConsentPage({
      requestId: 'r',
      csrf: 'c',
      clientName: 'Client',
      redirectUri: 'https://example.test/cb',
      scopes: ['read'],
      namespace: 'default',
      signInWith: 'password',
    });
    const pattern = /name="namespace"[^>]*pattern="([^"]+)"/.exec(html)?.[1];
    assert.ok(pattern, 'the field has a pattern');
    // As browsers apply it: the whole value, with the v flag (a bare "-" in a class is a syntax error there).
    const field = new RegExp(`^(?:${pattern})$`, 'v');
    for (const accepted of ['default', 'team-a', 'a_b', '0x']) assert.ok(field.test(accepted), accepted);
    for (const refused of ['', '-a', 'A', 'a b', 'a'.repeat(65)]) assert.ok(!field.test(refused), refused);
  });
});
