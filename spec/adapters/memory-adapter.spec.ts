import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { CorruptStateError, InvalidKeyError, TargetExistsError } from '../../src/errors.js';

describe('memoryAdapter', () => {
  test('round-trips through JSON: no shared references, undefined dropped', async () => {
    const adapter = memoryAdapter();
    const value = { a: [1, { b: 2 }] };
    await adapter.write('K', value);
    const read = (await adapter.read('K')) as typeof value;
    expect(read).toEqual(value);
    expect(read).not.toBe(value);
    expect(await adapter.read('MISSING')).toBeUndefined();
  });

  test('shares records between adapters given the same map', async () => {
    const records = new Map<string, string>();
    await memoryAdapter({ records }).write('K', 1);
    expect(await memoryAdapter({ records }).read('K')).toBe(1);
  });

  test('rename never overwrites, delete forgets, bad text is corrupt, bad keys are refused', async () => {
    const records = new Map([
      ['A', '1'],
      ['B', '2'],
      ['BAD', '{'],
    ]);
    const adapter = memoryAdapter({ records });
    await expect(adapter.rename('A', 'B')).rejects.toThrow(TargetExistsError);
    await adapter.rename('A', 'C');
    expect([...records.keys()].sort()).toEqual(['B', 'BAD', 'C']);
    await adapter.delete('B');
    expect(records.has('B')).toBe(false);
    await expect(adapter.read('BAD')).rejects.toBeInstanceOf(CorruptStateError);
    await expect(adapter.write('../x', 1)).rejects.toBeInstanceOf(InvalidKeyError);
  });
});
