import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsentView, renderConsentPage } from './consent-page';

const VIEW: ConsentView = {
  requestId: 'r',
  csrf: 'c',
  clientName: 'Client',
  redirectUri: 'https://example.test/cb',
  scopes: ['read'],
  namespace: 'default',
  password: 'accepted',
};

/** The sign-in field's label and the help the field points to, as text. */
function signIn(html: string): { label: string; help: string } {
  const label = /<label>([^<]*)\s*<input type="password"[^>]*aria-describedby="([^"]+)"/.exec(html);
  assert.ok(label, 'the credential field is labelled and described');
  const help = new RegExp(`<p id="${label[2]}"[^>]*>([^<]*)</p>`).exec(html);
  assert.ok(help, 'the description exists');
  return { label: label[1].trim(), help: help[1] };
}

describe('the consent page', () => {
  it('names what signs in: the password or an admin key when a password is set, an admin key alone otherwise', () => {
    const accepted = signIn(renderConsentPage(VIEW));
    assert.equal(accepted.label, 'Operator password or admin API key');
    assert.match(accepted.help, /operator password, or with an admin API key that is not bound to a namespace/);
    for (const password of ['none', 'paused'] as const) {
      const keyOnly = signIn(renderConsentPage({ ...VIEW, password }));
      assert.equal(keyOnly.label, 'Admin API key', password);
      assert.match(keyOnly.help, /sign in with an admin API key that is not bound to a namespace/i, password);
    }
    assert.match(signIn(renderConsentPage({ ...VIEW, password: 'paused' })).help, /password is not checked for now/);
    assert.doesNotMatch(signIn(renderConsentPage({ ...VIEW, password: 'none' })).help, /password/);
  });

  it("gives the namespace field a pattern browsers can compile (they use the v flag) that admits exactly the server's namespaces", () => {
    const html = renderConsentPage(VIEW);
    const pattern = /name="namespace"[^>]*pattern="([^"]+)"/.exec(html)?.[1];
    assert.ok(pattern, 'the field has a pattern');
    // As browsers apply it: the whole value, with the v flag (a bare "-" in a class is a syntax error there).
    const field = new RegExp(`^(?:${pattern})$`, 'v');
    for (const accepted of ['default', 'team-a', 'a_b', '0x']) assert.ok(field.test(accepted), accepted);
    for (const refused of ['', '-a', 'A', 'a b', 'a'.repeat(65)]) assert.ok(!field.test(refused), refused);
  });
});
