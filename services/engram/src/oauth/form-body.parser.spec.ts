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
});
