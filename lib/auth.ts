import { webcrypto } from 'node:crypto';
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
/**
 * The claim of a service token that names the user a service acts for: the gateway puts the
 * caller it verified at the edge there (`null` for an anonymous caller), so subgraphs never see a
 * user token and never trust one. A service token without it acts as the service itself (SERVICE).
 */
const CALLER_CLAIM = 'caller';
/** How long the gateway's per-request credential lives: long enough for one slow fetch, no longer. */
const CALLER_TOKEN_SECONDS = 60;

const encoder = new TextEncoder();

/**
 * An HS256 key, imported once per secret as the WebCrypto key jose signs and verifies with. Given
 * a secret's bytes or a Node KeyObject, jose imports it again for every token, which costs more
 * than the HMAC itself: about half of each verification's CPU (measured here, Node 22, jose 6).
 */
const secretKeys = new Map<string, Promise<webcrypto.CryptoKey>>();
function secretKey(secret: string): Promise<webcrypto.CryptoKey> {
  let key = secretKeys.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    // A secret it refuses (an empty one) fails each use that awaits it, not the process.
    key.catch(() => undefined);
    secretKeys.set(secret, key);
  }
  return key;
}

export interface TokenVerifier {
  /** Verifies a bearer token; a missing token is `null` (anonymous), a bad one throws UNAUTHENTICATED. */
  viewerFromAuthorization(header: string | undefined): Promise<Viewer | null>;
}

/**
 * The public edge (the gateway): user tokens only, from the identity provider's issuer, with an
 * `exp` no further than `maxLifetimeSeconds` away. A service token is refused here: it is a
 * credential between our own processes, never a user's.
 */
export function createUserTokenVerifier(config: AuthConfig): TokenVerifier {
  const userKey = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : secretKey(config.jwtSecret ?? '');
  const options = { issuer: config.issuer, audience: config.audience, requiredClaims: ['exp'] };
  return verifierOf(
    async (token) => {
      const { payload } =
        typeof userKey === 'function' ? await jwtVerify(token, userKey, options) : await jwtVerify(token, await userKey, { ...options, algorithms: ['HS256'] });
      checkLifetime(payload, config.maxTokenLifetimeSeconds);
      return { viewer: viewerFromClaims(payload, false), expires: payload.exp };
    },
    () => null,
  );
}

/**
 * A subgraph: service tokens only, and no token at all is refused. A token carrying a caller
 * (the gateway's) makes that caller the viewer, `null` meaning anonymous; one without acts as the
 * calling service with the SERVICE role (calls between subgraphs).
 */
export function createServiceTokenVerifier(config: AuthConfig): TokenVerifier {
  const serviceKey = secretKey(config.serviceSecret);
  return verifierOf(
    async (token) => {
      const { payload } = await jwtVerify(token, await serviceKey, {
        issuer: SERVICE_ISSUER,
        audience: SERVICE_AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
      });
      const viewer = CALLER_CLAIM in payload ? callerFromClaim(payload[CALLER_CLAIM]) : viewerFromClaims(payload, true);
      return { viewer, expires: payload.exp };
    },
    () => {
      throw unauthenticated('this service answers only the gateway and other services');
    },
  );
}

/** A token's verified viewer, and the `exp` (epoch seconds) until which that verdict holds. */
interface Verified {
  viewer: Viewer | null;
  expires: number | undefined;
}

/** How many verified tokens a verifier remembers; it starts over when full. */
const VERIFIED_TOKENS = 10_000;

/**
 * Remembers each token it verified until the token expires: the gateway sends a subgraph the same
 * credential for a caller for 30 s, and a client its token for hours, so checking the signature
 * again on every request (an HMAC through WebCrypto, a tenth of a subgraph's CPU per request)
 * would decide nothing new. Only successes are kept, by the whole token, so a token differing in
 * any byte is verified afresh; the expiry is checked on every use as jose checks it.
 */
function verifierOf(verify: (token: string) => Promise<Verified>, anonymous: () => Viewer | null): TokenVerifier {
  const verified = new Map<string, { viewer: Viewer | null; expires: number }>();
  return {
    async viewerFromAuthorization(header) {
      if (header === undefined || header.trim() === '') return anonymous();
      const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
      if (!match?.[1]) throw unauthenticated('the Authorization header must be "Bearer <token>"');
      const token = match[1];
      const known = verified.get(token);
      if (known && known.expires > Math.floor(Date.now() / 1000)) return known.viewer && { id: known.viewer.id, roles: [...known.viewer.roles] };
      if (known) verified.delete(token);
      try {
        const { viewer, expires } = await verify(token);
        if (expires !== undefined) {
          if (verified.size >= VERIFIED_TOKENS) verified.clear();
          verified.set(token, { viewer: viewer && { id: viewer.id, roles: [...viewer.roles] }, expires });
        }
        return viewer;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw unauthenticated('the token has expired');
        if (error instanceof joseErrors.JOSEError) throw unauthenticated('the token is not valid');
        throw error;
      }
    },
  };
}

/** A token living longer than allowed is refused even when valid now: a leaked one stays useful too long. */
function checkLifetime(payload: JWTPayload, maxSeconds: number): void {
  const now = Math.floor(Date.now() / 1000);
  const issuedAt = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
  if (typeof payload.exp !== 'number' || payload.exp - issuedAt > maxSeconds) {
    throw unauthenticated(`the token must expire within ${maxSeconds} seconds of being issued`);
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

/** The caller the gateway vouches for: a user (never SERVICE) or nobody. */
function callerFromClaim(claim: unknown): Viewer | null {
  if (claim === null) return null;
  if (typeof claim !== 'object' || !('id' in claim) || !('roles' in claim)) throw unauthenticated('the token names no valid caller');
  return viewerFromClaims({ sub: claim.id as string, roles: claim.roles }, false);
}

/**
 * What the gateway sends with each subgraph fetch: a short-lived service token naming the caller
 * it verified (or `null`). Signing is cheap (HS256), so every fetch gets a fresh one.
 */
export async function signCallerToken(config: AuthConfig, caller: Viewer | null): Promise<string> {
  return new SignJWT({ roles: ['SERVICE'], [CALLER_CLAIM]: caller ? { id: caller.id, roles: caller.roles } : null })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('service:gateway')
    .setIssuer(SERVICE_ISSUER)
    .setAudience(SERVICE_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${CALLER_TOKEN_SECONDS}s`)
    .sign(await secretKey(config.serviceSecret));
}

/**
 * The gateway's credentials per caller, each reused for half its life: a busy caller costs one
 * signature every 30 s instead of one per subgraph fetch. Bounded: the cache starts over when full.
 */
export function callerTokenSource(config: AuthConfig, maxEntries = 10_000): (caller: Viewer | null) => Promise<string> {
  const cache = new Map<string, { token: Promise<string>; renewAt: number }>();
  return (caller) => {
    const key = JSON.stringify(caller ? [caller.id, caller.roles] : null);
    const cached = cache.get(key);
    if (cached && Date.now() < cached.renewAt) return cached.token;
    if (cache.size >= maxEntries) cache.clear();
    const token = signCallerToken(config, caller);
    cache.set(key, { token, renewAt: Date.now() + (CALLER_TOKEN_SECONDS * 1_000) / 2 });
    token.catch(() => cache.delete(key));
    return token;
  };
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
    .sign(await secretKey(config.jwtSecret));
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
      .sign(await secretKey(config.serviceSecret));
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

/**
 * Whether the viewer may see something that belongs to `ownerId`: staff and services see all, a
 * customer only their own, nobody else anything. Entity resolvers use it so that `_entities`
 * shows exactly what the root field would (someone else's looks like a missing one).
 */
export function maySee(viewer: Viewer | null, ownerId: string | null | undefined): boolean {
  if (hasRole(viewer, 'STAFF') || hasRole(viewer, 'SERVICE')) return true;
  return Boolean(viewer && ownerId && viewer.id === ownerId);
}
