// The proxy of a source's proxySecretRef, read as Flux's runtime/secrets reads it.
import { describe, expect, it } from '@jest/globals';
import { proxyOfSecret } from '../../domain/proxy-secret.js';

describe('proxy Secret', () => {
  it('takes the address, with the username and password as its credentials', () => {
    expect(proxyOfSecret('ns/proxy', { address: 'http://proxy.internal:3128' })).toEqual({ ok: true, url: 'http://proxy.internal:3128/' });
    expect(proxyOfSecret('ns/proxy', { address: 'https://proxy.internal:3128', username: 'me', password: 'p@ss:word' })).toEqual({
      ok: true,
      url: 'https://me:p%40ss%3Aword@proxy.internal:3128/',
    });
    expect(proxyOfSecret('ns/proxy', { address: 'http://proxy.internal', username: 'me' })).toEqual({ ok: true, url: 'http://me@proxy.internal/' });
  });

  it("says what is wrong with the Secret, in Flux's words", () => {
    expect(proxyOfSecret('ns/proxy', { username: 'me' })).toEqual({ ok: false, message: "secret 'ns/proxy': key 'address' not found" });
    expect(proxyOfSecret('ns/proxy', { address: '' })).toEqual({ ok: false, message: "secret 'ns/proxy': proxy address is empty" });
    expect(proxyOfSecret('ns/proxy', { address: 'not a url' })).toMatchObject({ ok: false, message: "secret 'ns/proxy': failed to parse proxy address 'not a url'" });
    expect(proxyOfSecret('ns/proxy', { address: 'socks5://proxy:1080' })).toMatchObject({ ok: false, message: expect.stringContaining('http or https') });
  });
});
