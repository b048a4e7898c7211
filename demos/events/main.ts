// Platform events, as they arrive: subscribes to `events$` (and to its `diagnostics$`, what the
// source noticed about its connection) and prints one line per event. Under the simulator (or on
// the Apify platform) they come from the platform's events socket; run on its own, from local
// timers and signals (press Ctrl-C to see `aborting` and `exit`).
//
//   npm run cli -- simulate --migrate-after 5 --grace 3 --persist-interval 2 -- npx tsx demos/events/main.ts
//
// env: EVENTS_DEMO_SECONDS  how long to listen before exiting with code 0 (default 30)
import { events$, ofType, type PlatformEvent } from '../../src/index.js';

const seconds = Number(process.env.EVENTS_DEMO_SECONDS ?? 30);
const run = process.env.RXPS_SIMULATED_RUN;
const started = Date.now();
const MB = 2 ** 20;

/** One line: the time since the start, the event's name, what it says. */
const print = (name: string, text: string) => console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${name.padEnd(15)}${text}`);

/** A readable summary of each event's data. */
function describe(event: PlatformEvent): string {
  switch (event.name) {
    case 'systemInfo': {
      const { cpuCurrentUsage, isCpuOverloaded, memCurrentBytes, memMaxBytes, memTotalBytes } = event.data;
      const cpu = cpuCurrentUsage === undefined ? 'CPU n/a' : `CPU ${cpuCurrentUsage.toFixed(1)} %${isCpuOverloaded ? ' (overloaded)' : ''}`;
      const limit = memMaxBytes ?? memTotalBytes;
      const memory =
        memCurrentBytes === undefined ? 'memory n/a' : `memory ${(memCurrentBytes / MB).toFixed(1)} MB${limit ? ` of ${Math.round(limit / MB)} MB` : ''}`;
      return `${cpu}, ${memory}`;
    }
    case 'migrating': {
      // The platform is about to move the job to another machine: a job stops taking new work and
      // saves (its stores write at once by themselves); the run is killed when the time is up.
      const left = event.data.timeRemainingSecs;
      return left === undefined ? 'the run is to be stopped and moved (time remaining not given)' : `${left} s left before the run is stopped and moved`;
    }
    case 'persistState':
      return event.data.isMigrating ? 'save now (isMigrating: true)' : 'save now (periodic)';
    case 'aborting':
      return 'the run is being stopped';
    case 'exit':
      return `exit code ${event.data.exitCode ?? 'not given'}`;
  }
}

// diagnostics$ first: the source reports `connected` as soon as the socket opens.
events$.diagnostics$.subscribe((d) => print(`[${d.type}]`, d.message));
let count = 0;
events$.subscribe((event) => {
  count++;
  print(event.name, describe(event));
});
// ofType keeps some events and narrows their type: here the readings, for the peaks at the end.
// (events$ is shared: this second subscriber uses the same socket.)
const peak = { readings: 0, cpu: 0, memory: 0 };
events$.pipe(ofType('systemInfo')).subscribe(({ data }) => {
  peak.readings++;
  peak.cpu = Math.max(peak.cpu, data.cpuCurrentUsage ?? 0);
  peak.memory = Math.max(peak.memory, data.memCurrentBytes ?? 0);
});

const where = run
  ? `the simulator's events socket (run ${run})`
  : process.env.ACTOR_EVENTS_WEBSOCKET_URL
    ? "the platform's events socket"
    : 'local timers and signals (Ctrl-C to see aborting and exit)';
console.log(`listening to ${where} for ${seconds} s`);

// events$ never keeps the process alive by itself (its timers and socket are unref'd), so this
// timer is what keeps the demo listening; once it has run, the process ends on its own (code 0).
setTimeout(() => {
  const peaks = peak.readings > 0 ? `; peak CPU ${peak.cpu.toFixed(1)} %, peak memory ${(peak.memory / MB).toFixed(1)} MB` : '';
  print('done', `${count} events in ${seconds} s${peaks}`);
}, seconds * 1000);
