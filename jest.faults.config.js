/** `npm run test:faults`: the long fault-injection suites (they stop and start servers). */
const base = require('./jest.config');

module.exports = { ...base, testMatch: ['<rootDir>/tests/faults/**/*.test.ts'], testPathIgnorePatterns: [], testTimeout: 120000 };
