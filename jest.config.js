// Three projects: unit (pure logic, no I/O), integration (real Postgres and Redis started by the
// harness on loopback, a fresh database per test file) and e2e (several real processes).
'use strict';
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    // Dynamic imports become require() so Prisma's runtime loads inside jest's CommonJS sandbox.
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  // Prisma's generated client imports its TypeScript siblings as './x.js'.
  '^(\\.{1,2}/.*)\\.js$': '$1',
  '^@hub/([a-z-]+)$': '<rootDir>/libs/$1/src',
  '^@hub/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
const common = { transform: { '^.+\\.(t|j)s$': swc }, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  // Integration and e2e tests start real processes; unit tests finish in milliseconds anyway.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
      setupFiles: ['reflect-metadata'],
      slowTestThreshold: 30,
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
      setupFiles: ['reflect-metadata'],
    },
  ],
};
