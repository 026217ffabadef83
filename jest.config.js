// Native ESM Jest: run with NODE_OPTIONS=--experimental-vm-modules (the npm scripts set it).
// Three suites by file name: `*.spec.ts` (fast, offline), `*.live.spec.ts` (a real kube-apiserver and Argo CD on
// 127.0.0.1), `*.lab.spec.ts` (the kind lab in Docker). MAYDAY_SUITE picks one: fast (default), live, lab or all.
const suites = {
  fast: ['**/*.spec.ts'],
  live: ['**/*.live.spec.ts'],
  lab: ['**/*.lab.spec.ts'],
  all: ['**/*.spec.ts'],
};
const suite = process.env.MAYDAY_SUITE ?? 'fast';
if (!suites[suite]) throw new Error(`MAYDAY_SUITE=${suite}: expected one of ${Object.keys(suites).join(', ')}`);
const roots = ['<rootDir>/libs/*/src/', '<rootDir>/tools/'];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  testMatch: roots.flatMap((root) => suites[suite].map((glob) => root + glob)),
  testPathIgnorePatterns: [
    '/node_modules/',
    '/files/',
    ...(suite === 'fast' ? ['\\.live\\.spec\\.ts$', '\\.lab\\.spec\\.ts$'] : []),
  ],
  moduleNameMapper: { '^mayday$': '<rootDir>/tools/generators/src/index.ts' },
  testTimeout: 60000,
  // the live files wait on servers most of the time: two at once (Jest's default on 2 cores is one)
  ...(suite === 'live' ? { maxWorkers: 2 } : {}),
  reporters: ['default', '<rootDir>/tools/toolchain/jest-summary-reporter.js'],
};
