/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testMatch: ['<rootDir>/tests/**/*.test.ts', '<rootDir>/subgraphs/*/test/**/*.test.ts', '<rootDir>/gateway/test/**/*.test.ts', '<rootDir>/shared/test/**/*.test.ts'],
  testTimeout: 30000,
  // Servers, sockets and pools are closed in afterAll; a leak should fail loudly, not hang CI.
  forceExit: false,
};
