/**
 * Process configuration, read from environment variables once at start and validated as a whole:
 * one error lists every variable that is wrong, by name, with what was received.
 */

export type Environment = 'development' | 'test' | 'production';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** A typed reader over an environment; collects problems instead of throwing on the first. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, range: { min: number; max: number }): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      this.problems.push(`${name} must be a whole number from ${range.min} to ${range.max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const raw = this.raw(name) ?? fallback;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a ${protocols.join(' or ')} URL, got "${raw}"`);
      }
    } catch {
      this.problems.push(`${name} must be a URL, got "${raw}"`);
    }
    return raw;
  }

  require(condition: boolean, problem: string): void {
    if (!condition) this.problems.push(problem);
  }

  /** Throws one ConfigError naming every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

export interface AuthConfig {
  /** HS256 secret for user tokens (development and tests); production may use a JWKS URL instead. */
  jwtSecret?: string;
  /** JWKS endpoint of the identity provider that signs user tokens in production. */
  jwksUrl?: string;
  issuer: string;
  audience: string;
  /** Secret for the HS256 tokens that services mint for calls between subgraphs. */
  serviceSecret: string;
  /** The gateway refuses user tokens whose `exp` lies further than this after their `iat`. */
  maxTokenLifetimeSeconds: number;
}

export interface CommonConfig {
  environment: Environment;
  logLevel: string;
  host: string;
  mongoUrl: string;
  /** Database names are `${dbPrefix}_stock` and so on, so tests can own theirs. */
  dbPrefix: string;
  redisUrl: string;
  /** Prefix of every Redis key this deployment writes (queues, pub/sub channels). */
  redisPrefix: string;
  auth: AuthConfig;
  seedDemoData: boolean;
}

// Development defaults are public on purpose; production refuses to start with them.
const DEV_JWT_SECRET = 'dev-only-bakery-jwt-secret-change-me';
const DEV_SERVICE_SECRET = 'dev-only-bakery-service-secret-change-me';

/** Reads the settings every process shares. Call `reader.done()` after reading your own. */
export function readCommonConfig(reader: EnvReader): CommonConfig {
  const environment = reader.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const production = environment === 'production';
  const jwksUrl = reader.string('JWT_JWKS_URL');
  const jwtSecret = reader.string('JWT_SECRET', production ? '' : DEV_JWT_SECRET) || undefined;
  const serviceSecret = reader.string('SERVICE_JWT_SECRET', production ? '' : DEV_SERVICE_SECRET);
  if (production) {
    reader.require(Boolean(jwtSecret || jwksUrl), 'JWT_SECRET or JWT_JWKS_URL must be set in production');
    reader.require(serviceSecret.length > 0, 'SERVICE_JWT_SECRET must be set in production');
    reader.require(jwtSecret !== DEV_JWT_SECRET, 'JWT_SECRET must not be the development default in production');
    reader.require(serviceSecret !== DEV_SERVICE_SECRET, 'SERVICE_JWT_SECRET must not be the development default in production');
  }
  for (const [name, value] of [
    ['JWT_SECRET', jwtSecret],
    ['SERVICE_JWT_SECRET', serviceSecret],
  ] as const) {
    if (value && value.length < 32) reader.problems.push(`${name} must be at least 32 characters long`);
  }
  if (jwksUrl) reader.url('JWT_JWKS_URL', jwksUrl, ['https:', 'http:']);
  return {
    environment,
    logLevel: reader.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    host: reader.string('HOST', '127.0.0.1'),
    mongoUrl: reader.url('MONGODB_URL', 'mongodb://127.0.0.1:27017/', ['mongodb:', 'mongodb+srv:']),
    dbPrefix: reader.string('DB_PREFIX', 'bakery'),
    redisUrl: reader.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisPrefix: reader.string('REDIS_PREFIX', 'bakery'),
    auth: {
      jwtSecret,
      jwksUrl,
      issuer: reader.string('JWT_ISSUER', 'bakery'),
      audience: reader.string('JWT_AUDIENCE', 'bakery-api'),
      serviceSecret,
      maxTokenLifetimeSeconds: reader.int('JWT_MAX_LIFETIME_SECONDS', 86_400, { min: 60, max: 30 * 86_400 }),
    },
    seedDemoData: reader.bool('SEED_DEMO_DATA', false),
  };
}

export const PORT_RANGE = { min: 1, max: 65535 } as const;

/**
 * Reads a process's configuration with a fresh reader; on any problem prints one message naming
 * the process and every bad variable, and exits: a process never starts half-configured.
 */
export function readConfigOrExit<T>(processName: string, read: (reader: EnvReader) => T): T {
  try {
    const reader = new EnvReader();
    const config = read(reader);
    reader.done();
    return config;
  } catch (error) {
    console.error(`${processName}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
