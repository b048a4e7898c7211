import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { utf8, writeFileDurably } from '../../src/adapters/durable-file.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('durable-file');

describe('utf8', () => {
  // ASCII takes the Latin-1 copy; everything else must still come out as the UTF-8 encoder's bytes.
  test.each([
    ['ASCII', '{"https://shop.example/product/1":true}'],
    ['empty', ''],
    ['Latin-1 range', '{"v":"café ÿ"}'],
    ['beyond Latin-1', '{"v":"€ 北京"}'],
    ['astral', '{"v":"😀"}'],
    ['a lone surrogate', '{"v":"\ud800"}'],
    ['a control character', '{"v":"\u007f\u0080"}'],
  ])('%s: the same bytes as Buffer.from', (_, text) => {
    expect(utf8(text).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  test('writeFileDurably stores a non-ASCII string as UTF-8', async () => {
    const file = path.join(tempDir(), 'K.json');
    await writeFileDurably(file, '{"v":"é😀"}');
    expect(await fs.readFile(file, 'utf8')).toBe('{"v":"é😀"}');
  });
});
