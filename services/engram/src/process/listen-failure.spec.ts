import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listenFailure } from './listen-failure';

const target = { host: '10.1.2.3', port: 8000, portSetting: 'MCP_HTTP_PORT or --port' };
const failed = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

describe('listenFailure', () => {
  it('says a refused listen in one line naming the setting to change, with its exit code', () => {
    assert.deepEqual(listenFailure(failed('EADDRINUSE'), target), {
      line: 'port 8000 on 10.1.2.3 is in use (another Engram?); stop it or choose another port with MCP_HTTP_PORT or --port',
      exitCode: 69,
    });
    assert.deepEqual(listenFailure(failed('EACCES'), { ...target, port: 80, portSetting: 'WORKER_HTTP_PORT' }), {
      line: 'port 80 on 10.1.2.3 needs privileges this process does not have; choose a port from 1024 up with WORKER_HTTP_PORT',
      exitCode: 77,
    });
    const choices = '127.0.0.1 for this machine only, 0.0.0.0 (or ::) for every interface, or one of its own addresses';
    assert.deepEqual(listenFailure(failed('EADDRNOTAVAIL'), target), {
      line: `10.1.2.3 is not an address of this machine, so nothing can listen on it; set MCP_HTTP_HOST (or --host) to ${choices}`,
      exitCode: 78,
    });
    assert.equal(listenFailure(failed('ENOTFOUND'), { ...target, host: 'apl.example' })?.exitCode, 78);
    assert.match(
      listenFailure(failed('EAI_AGAIN'), target)?.line ?? '',
      /\(the name server did not answer\); try again/,
    );
  });

  it('leaves any other failure to the caller', () => {
    assert.equal(listenFailure(failed('EMFILE'), target), undefined);
    assert.equal(listenFailure(new Error('no code'), target), undefined);
  });
});
