// ESLint with typescript-eslint: the recommended rules, plus the type-aware ones that catch a
// promise nobody waits for or handles, the commonest way for this library to lose a write silently.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const RX_MESSAGE = 'Import rxjs names from src/rx.ts (add a missing one there and in src/rx/).';
const STAND_IN_MESSAGE =
  "In Node this is a stand-in that only constructs rxjs's class (src/rx/node.ts): use it with `new` only (to test for an Observable, add rxjs's isObservable to src/rx.ts).";

export default tseslint.config(
  // .scratch/, .torture-build/ and .bench-build/ are local, untracked (see .gitignore).
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.scratch/', '.torture-build/', '.bench-build/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Control characters in patterns are this code's subject (escaping them in output), not slips.
      'no-control-regex': 'off',
      // A subscription declared before the closures that end it, and assigned once after them.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Test servers take async request handlers; a rejection there fails the run loudly anyway.
    files: ['spec/**', 'torture/**'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }] },
  },
  // rxjs only through src/rx.ts, which loads only the files under rxjs/internal/ that the library
  // uses (src/rx/): the package index loads every operator in Node.
  {
    files: ['src/**'],
    ignores: ['src/rx.ts', 'src/rx/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['rxjs', '#rxjs'].map((name) => ({ name, message: RX_MESSAGE })),
          patterns: [{ group: ['rxjs/*'], message: RX_MESSAGE }],
        },
      ],
      // In Node the classes from src/rx.ts are stand-ins that only construct rxjs's (src/rx/node.ts):
      // no instanceof target, base class or holder of statics there, though the specs (which run
      // src/rx/esm.ts) would pass.
      'no-restricted-syntax': [
        'error',
        ...[
          "BinaryExpression[operator='instanceof'][right.name=/^(Observable|Subject|BehaviorSubject)$/]",
          ':matches(ClassDeclaration, ClassExpression)[superClass.name=/^(Observable|Subject|BehaviorSubject)$/]',
          'MemberExpression[object.name=/^(Observable|Subject|BehaviorSubject)$/]',
        ].map((selector) => ({ selector, message: STAND_IN_MESSAGE })),
      ],
    },
  },
  // CommonJS by nature: the require() wrapper of the package.
  { files: ['**/*.cts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // Plain JavaScript (the bundler page, fixtures, this file) is outside the TypeScript project.
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', document: 'readonly', window: 'readonly' } },
  },
);
