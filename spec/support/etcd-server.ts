import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from './free-port.js';
import { startServer } from './server-process.js';

export const ETCD_BINARY = '/usr/bin/etcd';

export interface EtcdServerOptions {
  /** etcd's `--max-request-bytes`. @default 10 MiB */
  readonly maxRequestBytes?: number;
  /** `--auto-compaction-mode=revision --auto-compaction-retention=<n>`: keep n revisions of history (long runs that rewrite keys). @default none */
  readonly autoCompactionRevisions?: number;
  /** `--quota-backend-bytes`: the database size beyond which etcd refuses writes. @default etcd's, 2 GiB */
  readonly quotaBackendBytes?: number;
}

/** Starts a real single-node etcd on free loopback ports with a temporary data folder. */
export async function startEtcd(options: EtcdServerOptions = {}) {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'rxps-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  return startServer(
    ETCD_BINARY,
    [
      '--name',
      'spec',
      '--data-dir',
      path.join(dir, 'data'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `spec=http://127.0.0.1:${peerPort}`,
      '--max-request-bytes',
      String(options.maxRequestBytes ?? 10 * 1024 * 1024),
      '--log-level',
      'error',
      ...(options.autoCompactionRevisions === undefined
        ? []
        : ['--auto-compaction-mode', 'revision', '--auto-compaction-retention', String(options.autoCompactionRevisions)]),
      ...(options.quotaBackendBytes === undefined ? [] : ['--quota-backend-bytes', String(options.quotaBackendBytes)]),
    ],
    url,
    '/health',
    dir,
  );
}
