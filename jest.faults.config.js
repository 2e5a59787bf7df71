/** `npm run test:faults`: the long fault-injection suites (they stop and start servers). */
const base = require('./jest.config');

// forceExit: these suites crash and restart servers on purpose, and a client library may keep
// a reconnect timer for a server that is gone; every suite still closes what it opened.
module.exports = { ...base, testMatch: ['<rootDir>/tests/faults/**/*.test.ts'], testPathIgnorePatterns: [], testTimeout: 120000, forceExit: true };
