// How a GitRepository's Secret reaches git: through files only we can read and git's
// environment configuration, never on a command line.
import { describe, expect, it } from '@jest/globals';
import { readFileSync, statSync } from 'node:fs';
import { prepareCredentials } from '../../git/credentials.js';

describe('git credentials', () => {
  it('sends a bearer token as an Authorization header', async () => {
    const credentials = await prepareCredentials('https://git.example/fleet.git', { bearerToken: 'tok-123', username: 'ignored', password: 'ignored' });
    expect(credentials.env).toMatchObject({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: 'Authorization: Bearer tok-123' });
    await credentials.dispose();
  });

  it('sends username and password as basic auth, with a CA file when given', async () => {
    const credentials = await prepareCredentials('https://git.example/fleet.git', { username: 'flux', password: 'pw', 'ca.crt': 'CERT' });
    expect(credentials.env.GIT_CONFIG_VALUE_0).toBe(`Authorization: Basic ${Buffer.from('flux:pw').toString('base64')}`);
    expect(credentials.env.GIT_CONFIG_KEY_1).toBe('http.sslCAInfo');
    const caFile = credentials.env.GIT_CONFIG_VALUE_1!;
    expect(readFileSync(caFile, 'utf8')).toBe('CERT');
    expect(statSync(caFile).mode & 0o777).toBe(0o600);
    await credentials.dispose();
  });

  it('writes the SSH key and known_hosts to private files and checks the host key strictly', async () => {
    const credentials = await prepareCredentials('ssh://git@git.example/fleet.git', { identity: 'KEY', known_hosts: 'git.example ssh-ed25519 AAAA' });
    const command = credentials.env.GIT_SSH_COMMAND!;
    expect(command).toContain('-o StrictHostKeyChecking=yes');
    expect(command).toContain('-o BatchMode=yes');
    const keyFile = /-i (\S+)/.exec(command)![1]!;
    expect(readFileSync(keyFile, 'utf8')).toBe('KEY\n');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(command).not.toContain('KEY');
    await credentials.dispose();
  });

  it('refuses SSH without known_hosts, saying where to add it', async () => {
    await expect(prepareCredentials('ssh://git@git.example/fleet.git', { identity: 'KEY' })).rejects.toThrow(
      'known_hosts is required for ssh URL ssh://git@git.example/fleet.git: add it to the secret referenced by spec.secretRef',
    );
  });

  it('never prompts for a password', async () => {
    const credentials = await prepareCredentials('https://git.example/fleet.git', undefined);
    expect(credentials.env).toMatchObject({ GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_COUNT: '0' });
    await credentials.dispose();
  });
});
