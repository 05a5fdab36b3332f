import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { AuthConfig } from './config.js';
import { AppError, ErrorCode, forbidden, unauthenticated } from './errors.js';

export type Role = 'CUSTOMER' | 'STAFF' | 'SERVICE';
const ROLES: readonly Role[] = ['CUSTOMER', 'STAFF', 'SERVICE'];

/** Who is calling, as proven by a verified token. */
export interface Viewer {
  id: string;
  roles: Role[];
}

/** Service tokens are minted by our own services and carry this issuer. */
const SERVICE_ISSUER = 'bakery-services';
const SERVICE_AUDIENCE = 'bakery-subgraphs';

const encoder = new TextEncoder();

export interface TokenVerifier {
  /** Verifies a bearer token; a missing token is `null` (anonymous), a bad one throws UNAUTHENTICATED. */
  viewerFromAuthorization(header: string | undefined): Promise<Viewer | null>;
}

export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const userKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl))
    : encoder.encode(config.jwtSecret ?? '');
  const serviceKey = encoder.encode(config.serviceSecret);

  async function verify(token: string): Promise<Viewer> {
    // Service tokens are told apart by their issuer before verification picks the key.
    const issuer = peekIssuer(token);
    const payload =
      issuer === SERVICE_ISSUER
        ? (await jwtVerify(token, serviceKey, { issuer: SERVICE_ISSUER, audience: SERVICE_AUDIENCE, algorithms: ['HS256'] })).payload
        : typeof userKey === 'function'
          ? (await jwtVerify(token, userKey, { issuer: config.issuer, audience: config.audience })).payload
          : (await jwtVerify(token, userKey, { issuer: config.issuer, audience: config.audience, algorithms: ['HS256'] })).payload;
    return viewerFromClaims(payload, issuer === SERVICE_ISSUER);
  }

  return {
    async viewerFromAuthorization(header) {
      if (header === undefined || header.trim() === '') return null;
      const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
      if (!match?.[1]) throw unauthenticated('the Authorization header must be "Bearer <token>"');
      try {
        return await verify(match[1]);
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw unauthenticated('the token has expired');
        if (error instanceof joseErrors.JOSEError) throw unauthenticated('the token is not valid');
        throw error;
      }
    },
  };
}

function peekIssuer(token: string): string | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && 'iss' in claims && typeof claims.iss === 'string'
      ? claims.iss
      : undefined;
  } catch {
    return undefined;
  }
}

function viewerFromClaims(payload: JWTPayload, isService: boolean): Viewer {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('the token names no subject');
  const claimed = Array.isArray(payload.roles) ? payload.roles : [];
  const roles = claimed.filter((role): role is Role => ROLES.includes(role as Role));
  // Only our own services may claim SERVICE, whatever a user token says.
  const allowed = roles.filter((role) => (role === 'SERVICE') === isService);
  if (allowed.length === 0) throw unauthenticated('the token carries no known role');
  return { id: payload.sub, roles: allowed };
}

export interface MintOptions {
  subject: string;
  roles: Role[];
  expiresIn?: string;
}

/** Signs a user token with the HS256 secret (development, tests and the `npm run token` script). */
export async function signUserToken(config: AuthConfig, options: MintOptions): Promise<string> {
  if (!config.jwtSecret) throw new Error('JWT_SECRET is not set: user tokens come from the identity provider');
  return new SignJWT({ roles: options.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.subject)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(encoder.encode(config.jwtSecret));
}

/** A service token for calls between subgraphs, cached until shortly before it expires. */
export function serviceTokenSource(config: AuthConfig, service: string): () => Promise<string> {
  let cached: { token: string; renewAt: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.renewAt) return cached.token;
    const token = await new SignJWT({ roles: ['SERVICE'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`service:${service}`)
      .setIssuer(SERVICE_ISSUER)
      .setAudience(SERVICE_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(encoder.encode(config.serviceSecret));
    cached = { token, renewAt: Date.now() + 8 * 60_000 };
    return token;
  };
}

// ---------------------------------------------------------------- guards used by resolvers

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

export function requireRole(viewer: Viewer | null, ...roles: Role[]): Viewer {
  const known = requireViewer(viewer);
  if (!known.roles.some((role) => roles.includes(role))) {
    throw forbidden(`this needs the ${roles.join(' or ')} role`);
  }
  return known;
}

export const hasRole = (viewer: Viewer | null, role: Role): boolean => viewer?.roles.includes(role) ?? false;

/** Internal operations between subgraphs: a service token and nothing else. */
export function requireService(viewer: Viewer | null): Viewer {
  if (!viewer?.roles.includes('SERVICE')) throw new AppError(ErrorCode.Forbidden, 'internal operation: service token required');
  return viewer;
}
