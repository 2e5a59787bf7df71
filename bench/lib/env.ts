// What the bench hands its children through the environment.
export interface BenchEnv {
  databaseUrl: string;
  redisUrl: string;
  /** Redis key and topic prefix of this run. */
  prefix: string;
  jwtSecret: string;
  gatewaySecret: string;
  poolSize: number;
}

export function benchEnvVars(e: BenchEnv): Record<string, string> {
  return {
    BENCH_DATABASE_URL: e.databaseUrl,
    BENCH_REDIS_URL: e.redisUrl,
    BENCH_PREFIX: e.prefix,
    BENCH_JWT_SECRET: e.jwtSecret,
    BENCH_GATEWAY_SECRET: e.gatewaySecret,
    BENCH_POOL_SIZE: String(e.poolSize),
  };
}

export function env(): BenchEnv {
  const need = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: bench children are started by bench/run.ts`);
    return v;
  };
  return {
    databaseUrl: need('BENCH_DATABASE_URL'),
    redisUrl: need('BENCH_REDIS_URL'),
    prefix: need('BENCH_PREFIX'),
    jwtSecret: need('BENCH_JWT_SECRET'),
    gatewaySecret: need('BENCH_GATEWAY_SECRET'),
    poolSize: Number(need('BENCH_POOL_SIZE')),
  };
}
