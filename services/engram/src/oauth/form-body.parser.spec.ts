import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { registerFormBodyParser } from './form-body.parser';

describe('OAuth form bodies', () => {
  it('reads __proto__, constructor and toString as ordinary fields of an object without a prototype', async () => {
    const fastify = Fastify();
    registerFormBodyParser(fastify, ['/oauth/']);
    fastify.post('/oauth/echo', async (request) => ({
      prototype: Object.getPrototypeOf(request.body),
      fields: Object.entries(request.body as object),
    }));
    const response = await fastify.inject({
      method: 'POST',
      url: '/oauth/echo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '__proto__=a&constructor=b&toString=c&scope=read&scope=write',
    });
    assert.deepEqual(response.json(), {
      prototype: null,
      fields: [
        ['__proto__', 'a'],
        ['constructor', 'b'],
        ['toString', 'c'],
        ['scope', ['read', 'write']],
      ],
    });
    await fastify.close();
  });

  it('refuses a NUL in a field name or value with 400 naming the field', async () => {
    const fastify = Fastify();
    registerFormBodyParser(fastify, ['/oauth/']);
    fastify.post('/oauth/echo', async (request) => request.body);
    for (const [payload, field] of [
      ['grant_type=refresh_token&refresh_token=%00', /Form field refresh_token holds a NUL character/],
      ['client_id=a&client_id=b%00', /Form field client_id holds a NUL character/],
      ['%00=1', /Form field name "\\u0000" holds a NUL character/],
    ] as const) {
      const response = await fastify.inject({
        method: 'POST',
        url: '/oauth/echo',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      });
      assert.equal(response.statusCode, 400, payload);
      assert.match(response.json().message, field);
    }
    await fastify.close();
  });
});
