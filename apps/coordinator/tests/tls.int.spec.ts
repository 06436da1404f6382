import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { SearchServiceClient } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { rpc, spawnApp, TOKEN, uniquePrefix } from './support';

describe('coordinator TLS (separate process)', () => {
  it('tls - with --tls-cert/--tls-key the API is served over TLS and still needs the token', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    // A self-signed certificate for 127.0.0.1 (openssl is part of the base image).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    await using nats = await startNatsServer({ jetstream: true });
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, TOKEN);
    const proc = spawnApp('coordinator', ['--listen', '127.0.0.1:0', '--nats', nats.url, '--prefix', uniquePrefix(), '--tls-cert', cert, '--tls-key', key, '--token-file', tokenFile]);
    try {
      const port = (await proc.waitForLog('listening')).port as number;
      const tls = new SearchServiceClient(`127.0.0.1:${port}`, credentials.createSsl(readFileSync(cert)));
      expect(await rpc(tls, 'listSearches', { pageSize: 0, pageToken: '', states: [] })).toMatchObject({ searches: [] });
      const noToken = await rpc(tls, 'listSearches', { pageSize: 0, pageToken: '', states: [] }, new Metadata()).catch((e: ServiceError) => e);
      expect((noToken as ServiceError).code).toBe(status.UNAUTHENTICATED);
      tls.close();
      const plain = new SearchServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
      const err = await rpc(plain, 'listSearches', { pageSize: 0, pageToken: '', states: [] }).catch((e: ServiceError) => e);
      expect((err as ServiceError).code).toBe(status.UNAVAILABLE);
      plain.close();
    } finally {
      await proc.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
