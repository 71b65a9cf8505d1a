// The CLI's own kubeconfig reading: the context kubectl would use, credentials as kubectl
// sends them, and the credentials it leaves to the client library.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { endpointOf, KubeconfigError, readKubeconfigEndpoint, type KubeconfigFile } from '../../kube/kubeconfig.js';

const file = (config: KubeconfigFile['config'], folder = '/nowhere'): KubeconfigFile => ({ folder, config });
const base64 = (text: string) => Buffer.from(text).toString('base64');

const local = file({
  'current-context': 'local',
  contexts: [
    { name: 'local', context: { cluster: 'kind', user: 'admin' } },
    { name: 'ci', context: { cluster: 'kind', user: 'robot' } },
  ],
  clusters: [{ name: 'kind', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': base64('CA') } }],
  users: [
    { name: 'admin', user: { 'client-certificate-data': base64('CERT'), 'client-key-data': base64('KEY') } },
    { name: 'robot', user: { token: 'abc' } },
  ],
});

describe('the endpoint of a kubeconfig', () => {
  it('takes the current context: its server, CA and client certificate', () => {
    const answer = endpointOf([local]);
    expect(answer).toEqual({
      endpoint: {
        server: 'https://127.0.0.1:6443',
        options: { ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY'), rejectUnauthorized: true, servername: undefined, headers: {} },
      },
    });
  });

  it('takes a named context, and sends its token as a bearer token', () => {
    const answer = endpointOf([local], 'ci');
    expect('endpoint' in answer && answer.endpoint.options.headers).toEqual({ Authorization: 'Bearer abc' });
  });

  it('sends a username and password as basic authentication', () => {
    const config = file({ ...local.config, users: [{ name: 'admin', user: { username: 'jane', password: 's3cret' } }] });
    const answer = endpointOf([config]);
    expect('endpoint' in answer && answer.endpoint.options.headers).toEqual({ Authorization: `Basic ${base64('jane:s3cret')}` });
  });

  it('reads certificate, key and token files relative to the kubeconfig that names them', () => {
    const folder = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    writeFileSync(join(folder, 'ca.crt'), 'CA FILE');
    writeFileSync(join(folder, 'admin.crt'), 'CERT FILE');
    writeFileSync(join(folder, 'admin.key'), 'KEY FILE');
    writeFileSync(join(folder, 'token'), 'from-file\n');
    const config = file(
      {
        'current-context': 'local',
        contexts: [{ name: 'local', context: { cluster: 'kind', user: 'admin' } }],
        clusters: [{ name: 'kind', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt', 'tls-server-name': 'kubernetes' } }],
        users: [{ name: 'admin', user: { 'client-certificate': 'admin.crt', 'client-key': join(folder, 'admin.key'), tokenFile: 'token' } }],
      },
      folder,
    );
    expect(endpointOf([config])).toEqual({
      endpoint: {
        server: 'https://127.0.0.1:6443',
        options: {
          ca: Buffer.from('CA FILE'),
          cert: Buffer.from('CERT FILE'),
          key: Buffer.from('KEY FILE'),
          rejectUnauthorized: true,
          servername: 'kubernetes',
          headers: { Authorization: 'Bearer from-file' },
        },
      },
    });
  });

  it('skips verification only when the cluster says insecure-skip-tls-verify', () => {
    const config = file({ ...local.config, clusters: [{ name: 'kind', cluster: { server: 'https://10.0.0.1', 'insecure-skip-tls-verify': true, 'certificate-authority-data': base64('CA') } }] });
    const answer = endpointOf([config]);
    expect('endpoint' in answer && answer.endpoint.options).toMatchObject({ ca: undefined, rejectUnauthorized: false });
  });

  it('merges a KUBECONFIG list as kubectl does: the first file to name a context, cluster or user wins', () => {
    const second = file({
      'current-context': 'other',
      contexts: [{ name: 'other', context: { cluster: 'kind', user: 'robot' } }],
      clusters: [{ name: 'kind', cluster: { server: 'https://elsewhere:6443' } }],
      users: [{ name: 'robot', user: { token: 'second' } }],
    });
    expect(endpointOf([local, second])).toMatchObject({ endpoint: { server: 'https://127.0.0.1:6443' } });
    const onlyContext = file({ 'current-context': 'other' });
    expect(endpointOf([onlyContext, local, second])).toMatchObject({ endpoint: { server: 'https://127.0.0.1:6443', options: { headers: { Authorization: 'Bearer abc' } } } });
  });

  it('leaves exec plugins, auth providers, impersonation and proxies to the client library', () => {
    const withUser = (user: Record<string, unknown>) => file({ ...local.config, users: [{ name: 'admin', user }] });
    expect(endpointOf([withUser({ exec: { command: 'aws' } })])).toEqual({ needsLibrary: "user 'admin' has exec" });
    expect(endpointOf([withUser({ 'auth-provider': { name: 'oidc' } })])).toEqual({ needsLibrary: "user 'admin' has auth-provider" });
    expect(endpointOf([withUser({ token: 'abc', as: 'jane' })])).toEqual({ needsLibrary: "user 'admin' has as" });
    const proxied = file({ ...local.config, clusters: [{ name: 'kind', cluster: { server: 'https://10.0.0.1', 'proxy-url': 'http://proxy:3128' } }] });
    expect(endpointOf([proxied])).toEqual({ needsLibrary: "cluster 'kind' has proxy-url" });
  });

  it('says which context or cluster is missing', () => {
    expect(() => endpointOf([local], 'elsewhere')).toThrow(new KubeconfigError("context 'elsewhere' not found in the kubeconfig"));
    const noCluster = file({ ...local.config, clusters: [] });
    expect(() => endpointOf([noCluster])).toThrow("cluster 'kind' of context 'local' not found in the kubeconfig");
    expect(() => endpointOf([file({})])).toThrow('the kubeconfig has no current context');
  });

  it('finds the files as kubectl does: KUBECONFIG, else ~/.kube/config, else a local API server', () => {
    const folder = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    const path = join(folder, 'config');
    writeFileSync(path, 'current-context: local\ncontexts:\n- name: local\n  context: {cluster: kind}\nclusters:\n- name: kind\n  cluster: {server: "http://127.0.0.1:8001"}\n');
    expect(readKubeconfigEndpoint(undefined, undefined, { KUBECONFIG: `${join(folder, 'missing')}:${path}` })).toMatchObject({ endpoint: { server: 'http://127.0.0.1:8001' } });
    expect(readKubeconfigEndpoint(undefined, undefined, { HOME: join(folder, 'no-home') })).toEqual({ endpoint: { server: 'http://localhost:8080', options: {} } });
  });
});
