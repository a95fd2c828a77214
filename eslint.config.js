// ESLint with typescript-eslint's type-aware recommended rules over the whole tree.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'reports/**', '.stryker-tmp/**', 'experiments/**/k6/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'harness/cli/bin.js', 'test/*.mjs', 'test/mutation/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      // String(unknown) is how error text and template values are rendered on purpose.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Mocha's describe/it return values are not promises to await.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it'], package: 'mocha' }] }],
    },
  },
  {
    // Experiments rewritten on the public entry use nothing else of the harness, as a user's file cannot.
    files: ['experiments/pod-delete/**/*.ts', 'experiments/statefulset-identity/**/*.ts', 'experiments/hpa-cpu/**/*.ts', 'experiments/istio-mtls/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+harness/(?!index\\.ts$)', message: "import from the public entry, harness/index.ts ('shakedown' for users), not from harness internals" }] }],
    },
  },
  {
    // The size rule of the project (issue 21): no file over 400 lines, no function over 80, in
    // harness/ and experiments/. Raw lines, blank lines and comments included: the rule says
    // lines, and a comment that explains a long function does not make it shorter to read.
    files: ['harness/**/*.{ts,js,mjs}', 'experiments/**/*.{ts,js,mjs}'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
