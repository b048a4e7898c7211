import { InvalidOptionError } from '../../../src/errors.js';
import { simulate, type SimulateOptions } from '../../../src/cli/simulate/simulate.js';

/** simulate() with `options`, as plain JavaScript may pass them. */
const run = (options: unknown) => simulate(options as SimulateOptions);

describe('simulate() refuses options that are not what their type says, before anything starts', () => {
  test.each([
    ['options', undefined],
    ['command', { command: [] }],
    ['command', { command: ' ' }],
    ['args', { command: 'node', args: 'job.js' }],
    ['args', { command: 'node', args: [1] }],
    ['storageDir', { command: 'node', storageDir: 5 }],
    ['disruptions', { command: 'node', disruptions: { kind: 'kill' } }],
    ['disruptions[0].kind', { command: 'node', disruptions: [{ kind: 'reboot', afterSecs: 1 }] }],
    ['disruptions[0]', { command: 'node', disruptions: [{ kind: 'kill' }] }],
    ['disruptions[0]', { command: 'node', disruptions: [{ kind: 'kill', afterSecs: 1, onText: 'x' }] }],
    [
      'disruptions[1].afterSecs',
      {
        command: 'node',
        disruptions: [
          { kind: 'kill', afterSecs: 0 },
          { kind: 'kill', afterSecs: -1 },
        ],
      },
    ],
    ['disruptions[0].onText', { command: 'node', disruptions: [{ kind: 'migrate', onText: 'a\nb' }] }],
    ['persistIntervalSecs', { command: 'node', persistIntervalSecs: 0 }],
    ['systemInfoIntervalSecs', { command: 'node', systemInfoIntervalSecs: Number.NaN }],
    ['graceSecs', { command: 'node', graceSecs: '5' }],
    ['restarts', { command: 'node', restarts: 1.5 }],
    ['env', { command: 'node', env: 'PATH=/bin' }],
    ['log', { command: 'node', log: true }],
    ['signal', { command: 'node', signal: {} }],
  ])('%s: %j', async (option, options) => {
    const refused = run(options);
    await expect(refused).rejects.toThrow(InvalidOptionError);
    await expect(refused).rejects.toMatchObject({ option });
  });
});
