// A throw-away certificate authority made by the real openssl, for TLS tests: a server
// certificate for 127.0.0.1 and a client certificate, both signed by the CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestAuthority {
  ca: string;
  server: KeyPair;
  client: KeyPair;
  /** a client certificate from another CA: refused by the server */
  stranger: KeyPair;
}

function openssl(cwd: string, ...args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`openssl ${args[0]} failed: run tools/install-packages.sh to install Debian's openssl`, { cause: error });
  }
}

function selfSigned(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
}

function signed(dir: string, name: string, ca: string, extensions: string): KeyPair {
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

export function testAuthority(): TestAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'kimbernetes-ca-'));
  selfSigned(dir, 'ca');
  selfSigned(dir, 'other-ca');
  return {
    ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    server: signed(dir, 'server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'),
    client: signed(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n'),
    stranger: signed(dir, 'stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n'),
  };
}
