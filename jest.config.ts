import type { Config } from 'jest';

// ESM throughout: ts-jest only transpiles (isolatedModules in tsconfig); `npm test`
// runs `tsc --noEmit` first because ts-jest in ESM mode does not fail on type errors.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // '#rxjs' as tsconfig's "paths" has it (package.json "imports" points into dist/).
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^#rxjs$': '<rootDir>/src/rx/esm.ts' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testTimeout: 30_000,
  setupFiles: ['<rootDir>/spec/support/node-runtime.ts'],
};

export default config;
