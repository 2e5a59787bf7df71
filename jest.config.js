/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // The generated Prisma client imports its siblings as `./x.js`; the sources are `.ts`.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: [
    '<rootDir>/tests/**/*.test.ts',
    '<rootDir>/subgraphs/*/test/**/*.test.ts',
    '<rootDir>/gateway/test/**/*.test.ts',
    '<rootDir>/shared/test/**/*.test.ts',
  ],
  testTimeout: 30000,
};
