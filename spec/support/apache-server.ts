import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from './free-port.js';
import { startServer } from './server-process.js';

export const APACHE_BINARY = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

/**
 * Starts a real Apache with mod_dav on a free loopback port, serving a temporary folder with
 * `Dav On` and `FileETag Digest` (strong ETags, which If-Match needs).
 */
export async function startApacheDav() {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'rxps-apache-'));
  const www = path.join(dir, 'www');
  await fs.mkdir(www);
  await fs.chmod(dir, 0o777);
  await fs.chmod(www, 0o777); // Apache's worker user writes here
  const port = await freePort();
  const conf = path.join(dir, 'httpd.conf');
  await fs.writeFile(
    conf,
    [
      `ServerRoot ${dir}`,
      'ServerName 127.0.0.1',
      `Listen 127.0.0.1:${port}`,
      `PidFile ${dir}/httpd.pid`,
      `ErrorLog ${dir}/error.log`,
      'LogLevel warn',
      `LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so`,
      `LoadModule authz_core_module ${MODULES}/mod_authz_core.so`,
      `LoadModule dav_module ${MODULES}/mod_dav.so`,
      `LoadModule dav_fs_module ${MODULES}/mod_dav_fs.so`,
      'User nobody',
      'Group nogroup',
      `DavLockDB ${dir}/davlock`,
      `DocumentRoot ${www}`,
      `<Directory ${www}>`,
      '  Dav On',
      '  Require all granted',
      '</Directory>',
      'FileETag Digest',
      '',
    ].join('\n'),
  );
  await fs.writeFile(path.join(www, 'health'), 'ok');
  return startServer(APACHE_BINARY, ['-f', conf, '-DFOREGROUND'], `http://127.0.0.1:${port}`, '/health', dir);
}
