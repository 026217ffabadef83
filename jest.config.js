// Native ESM Jest: run with NODE_OPTIONS=--experimental-vm-modules (the `jest` npm script sets it).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  testMatch: ['<rootDir>/libs/*/src/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/files/'],
  moduleNameMapper: { '^mayday$': '<rootDir>/tools/generators/src/index.ts' },
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/tools/toolchain/jest-summary-reporter.js'],
};
