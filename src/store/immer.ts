// Every run-time import of immer goes through here: immer-env.ts must be evaluated before immer.
import { endImmerEnv } from './immer-env.js';
export { enablePatches, freeze, immerable, isDraft, produce, produceWithPatches } from 'immer';
endImmerEnv();
