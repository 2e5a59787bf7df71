/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Types are checked by `npm run typecheck`; here ts-jest only transpiles, to CommonJS, so the
  // Prisma client's dynamic import() becomes require() and needs no experimental VM modules.
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10' } }],
  },
  // The generated Prisma client imports its siblings as `./x.js`; the sources are `.ts`.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: [
    '<rootDir>/tests/**/*.test.ts',
    '<rootDir>/subgraphs/*/test/**/*.test.ts',
    '<rootDir>/gateway/test/**/*.test.ts',
    '<rootDir>/shared/test/**/*.test.ts',
  ],
  // The fault-injection suites run apart: `npm run test:faults`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/faults/'],
  testTimeout: 30000,
};
