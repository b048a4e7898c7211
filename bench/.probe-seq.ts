import { settle } from './harness.js';
import { w1Measure } from './w1-update.js';
import { w2Measure } from './w2-persist.js';
import { w3Measure } from './w3-migration.js';
import { w4Measure } from './w4-hydration.js';
import { w6Queue } from './w6-queue.js';
const steps: Record<string, (n: number) => Promise<unknown>> = { w1: w1Measure, w2: w2Measure, w3: w3Measure, w4: w4Measure, w6: w6Queue };
for (const arg of process.argv.slice(2)) {
  const [name, n] = arg.split(':');
  await settle();
  const t = Date.now();
  const r = await steps[name!]!(Number(n));
  console.log(arg, Date.now() - t, 'ms', name === 'w6' ? JSON.stringify(r) : '');
}
