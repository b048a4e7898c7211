import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from './free-port.js';
import { startServer } from './server-process.js';

export const ETCD_BINARY = '/usr/bin/etcd';

/** Starts a real single-node etcd on free loopback ports with a temporary data folder. */
export async function startEtcd(options: { maxRequestBytes?: number } = {}) {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'rxps-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  return startServer(
    ETCD_BINARY,
    [
      '--name', 'spec',
      '--data-dir', path.join(dir, 'data'),
      '--listen-client-urls', url,
      '--advertise-client-urls', url,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `spec=http://127.0.0.1:${peerPort}`,
      '--max-request-bytes', String(options.maxRequestBytes ?? 10 * 1024 * 1024),
      '--log-level', 'error',
    ],
    url,
    '/health',
    dir,
  );
}
