// Connection failures say what Go's net package says, as Flux's messages do.
import { describe, expect, it } from '@jest/globals';
import { networkCause } from '../../helm/http-get.js';

const failure = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${code} from node`), { code, ...extra });

describe('networkCause', () => {
  const url = new URL('http://charts.example.com:8080/index.yaml');

  it('names the address dialled when the connection is refused, unreachable or reset', () => {
    expect(networkCause(failure('ECONNREFUSED', { address: '127.0.0.1', port: 8080 }), url)).toBe('dial tcp 127.0.0.1:8080: connect: connection refused');
    expect(networkCause(failure('ECONNREFUSED', { address: '::1', port: 8080 }), url)).toBe('dial tcp [::1]:8080: connect: connection refused');
    expect(networkCause(failure('EHOSTUNREACH', { address: '10.0.0.9', port: 8080 }), url)).toBe('dial tcp 10.0.0.9:8080: connect: no route to host');
    expect(networkCause(failure('ECONNRESET'), url)).toBe('read tcp charts.example.com:8080: read: connection reset by peer');
  });

  it('names the host a lookup did not find', () => {
    expect(networkCause(failure('ENOTFOUND'), url)).toBe('dial tcp: lookup charts.example.com: no such host');
  });

  it("keeps Node's words for anything else", () => {
    expect(networkCause(failure('EPROTO'), url)).toBe('EPROTO from node');
  });
});
