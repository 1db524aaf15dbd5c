import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('gives sensible local defaults', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 3000,
      publicBaseUrl: 'http://127.0.0.1:3000',
      bodyLimitBytes: 1048576,
    });
    expect(config.redis.queuePrefix).toBe('hub');
    expect(config.worker.queues).toBe('all');
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://x' }, { require: ['DATABASE_URL', 'REDIS_URL'] })).toThrow(
      /DATABASE_URL is required/,
    );
  });

  it.each([
    ['PORT', 'eighty', /PORT/],
    ['PORT', '70000', /PORT must not be greater than 65535/],
    ['DATABASE_URL', 'mysql://db', /DATABASE_URL must be a postgres/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL must be a redis/],
    ['SECRETS_KEY', 'short', /SECRETS_KEY must be 32 random bytes/],
    ['MIGRATE_ON_START', 'maybe', /MIGRATE_ON_START must be a boolean/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['WORKER_QUEUES', 'push;sync', /WORKER_QUEUES must be a comma-separated list/],
    ['DATABASE_POOL_SIZE', '1', /DATABASE_POOL_SIZE must be at least 2/],
  ])('rejects malformed %s=%s with a message naming it', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('reports every problem at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(
      /PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/,
    );
  });

  it('parses typed values', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      MIGRATE_ON_START: 'true',
      WORKER_QUEUES: 'push,sync',
      SECRETS_KEY: key,
      PUBLIC_BASE_URL: 'https://hub.example.com/',
    });
    expect(config.http.port).toBe(8080);
    expect(config.http.publicBaseUrl).toBe('https://hub.example.com');
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.worker.queues).toEqual(['push', 'sync']);
    expect(config.secretsKey?.length).toBe(32);
  });
});
