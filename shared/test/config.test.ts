import { ConfigError, loadConfig } from '@commons/shared';

describe('DB_PREPARED_STATEMENTS', () => {
  it('is on unless turned off, and refuses anything but a boolean', () => {
    expect(loadConfig({}).db.preparedStatements).toBe(true);
    expect(loadConfig({ DB_PREPARED_STATEMENTS: '' }).db.preparedStatements).toBe(true);
    expect(loadConfig({ DB_PREPARED_STATEMENTS: 'false' }).db.preparedStatements).toBe(false);
    expect(loadConfig({ DB_PREPARED_STATEMENTS: '0' }).db.preparedStatements).toBe(false);
    expect(loadConfig({ DB_PREPARED_STATEMENTS: 'true' }).db.preparedStatements).toBe(true);
    expect(() => loadConfig({ DB_PREPARED_STATEMENTS: 'yes' })).toThrow(ConfigError);
  });
});
