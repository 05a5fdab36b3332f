import assert from 'node:assert/strict';
import { afterEach, describe, jest, test } from '@jest/globals';
import { SignJWT } from 'jose';
import {
  callerTokenSource,
  createServiceTokenVerifier,
  createUserTokenVerifier,
  serviceTokenSource,
  signCallerToken,
  signUserToken,
  type Role,
} from './auth.js';
import type { AuthConfig } from './config.js';
import { AppError } from './errors.js';

const config: AuthConfig = {
  jwtSecret: 'a-test-secret-that-is-at-least-32-characters',
  issuer: 'bakery',
  audience: 'bakery-api',
  serviceSecret: 'a-service-secret-that-is-at-least-32-chars',
  maxTokenLifetimeSeconds: 86_400,
};
const edge = createUserTokenVerifier(config);
const subgraph = createServiceTokenVerifier(config);
const now = () => Math.floor(Date.now() / 1000);

async function unauthenticated(verifier: typeof edge, header: string | undefined) {
  await assert.rejects(verifier.viewerFromAuthorization(header), (error: unknown) => error instanceof AppError && error.code === 'UNAUTHENTICATED');
}

/** A user token as an identity provider would sign it, with the claims each test chooses. */
function userToken(claims: { exp?: number; iat?: number; roles?: string[] } = {}) {
  let jwt = new SignJWT({ roles: claims.roles ?? ['CUSTOMER'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuer(config.issuer)
    .setAudience(config.audience);
  if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(config.jwtSecret));
}

describe('user tokens at the gateway', () => {
  test('no token is an anonymous caller', async () => {
    assert.equal(await edge.viewerFromAuthorization(undefined), null);
  });

  test('a user token names the customer and roles', async () => {
    const token = await signUserToken(config, { subject: 'alice', roles: ['CUSTOMER'] });
    assert.deepEqual(await edge.viewerFromAuthorization(`Bearer ${token}`), { id: 'alice', roles: ['CUSTOMER'] });
  });

  test('a token signed with another secret is refused', async () => {
    const forged = await signUserToken({ ...config, jwtSecret: 'another-secret-that-is-at-least-32-characters' }, { subject: 'mallory', roles: ['STAFF'] });
    await unauthenticated(edge, `Bearer ${forged}`);
  });

  test('an expired token is refused', async () => {
    await unauthenticated(edge, `Bearer ${await userToken({ exp: now() - 60 })}`);
  });

  test('a token without exp is refused', async () => {
    await unauthenticated(edge, `Bearer ${await userToken({ iat: now() })}`);
  });

  test('a token living longer than the maximum lifetime is refused', async () => {
    await unauthenticated(edge, `Bearer ${await userToken({ iat: now(), exp: now() + config.maxTokenLifetimeSeconds + 60 })}`);
    await unauthenticated(edge, `Bearer ${await userToken({ exp: now() + config.maxTokenLifetimeSeconds + 60 })}`);
  });

  test('a user token cannot claim the SERVICE role', async () => {
    const token = await signUserToken(config, { subject: 'mallory', roles: ['SERVICE'] });
    await unauthenticated(edge, `Bearer ${token}`);
  });

  test('a service token is refused at the edge', async () => {
    await unauthenticated(edge, `Bearer ${await serviceTokenSource(config, 'order')()}`);
    await unauthenticated(edge, `Bearer ${await signCallerToken(config, { id: 'alice', roles: ['STAFF'] })}`);
  });

  test('garbage and wrong schemes are refused', async () => {
    await unauthenticated(edge, 'Bearer not-a-jwt');
    await unauthenticated(edge, 'Basic YWxpY2U6cGFzcw==');
  });
});

describe('service credentials at a subgraph', () => {
  test('no token at all is refused', async () => {
    await unauthenticated(subgraph, undefined);
  });

  test('a user token is refused: only the gateway and services get in', async () => {
    await unauthenticated(subgraph, `Bearer ${await signUserToken(config, { subject: 'alice', roles: ['STAFF'] })}`);
  });

  test("the gateway's credential makes its caller the viewer", async () => {
    const token = await signCallerToken(config, { id: 'alice', roles: ['CUSTOMER'] });
    assert.deepEqual(await subgraph.viewerFromAuthorization(`Bearer ${token}`), { id: 'alice', roles: ['CUSTOMER'] });
  });

  test("the gateway's credential for an anonymous caller is an anonymous viewer, not SERVICE", async () => {
    assert.equal(await subgraph.viewerFromAuthorization(`Bearer ${await signCallerToken(config, null)}`), null);
  });

  test('a caller cannot be passed off as SERVICE', async () => {
    await unauthenticated(subgraph, `Bearer ${await signCallerToken(config, { id: 'mallory', roles: ['SERVICE'] })}`);
  });

  test('a service token without a caller acts as the service', async () => {
    const token = await serviceTokenSource(config, 'order')();
    assert.deepEqual(await subgraph.viewerFromAuthorization(`Bearer ${token}`), { id: 'service:order', roles: ['SERVICE'] });
  });

  test('a credential signed with another secret is refused', async () => {
    const forged = await signCallerToken({ ...config, serviceSecret: 'another-service-secret-of-32-characters!' }, { id: 'alice', roles: ['STAFF'] });
    await unauthenticated(subgraph, `Bearer ${forged}`);
  });
});

describe('a verified token is remembered until it expires', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  test('the same credential names the same caller every time, and a change of any byte is verified afresh', async () => {
    const verifier = createServiceTokenVerifier(config);
    const token = await signCallerToken(config, { id: 'alice', roles: ['CUSTOMER'] });
    for (let i = 0; i < 3; i++) assert.deepEqual(await verifier.viewerFromAuthorization(`Bearer ${token}`), { id: 'alice', roles: ['CUSTOMER'] });
    const at = token.length - 10; // inside the signature, clear of its last character's padding bits
    const changed = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    await unauthenticated(verifier, `Bearer ${changed}`);
    await unauthenticated(verifier, `Bearer ${token}x`);
  });

  test('what a caller is given cannot change what the next request is given', async () => {
    const verifier = createServiceTokenVerifier(config);
    const token = await signCallerToken(config, { id: 'alice', roles: ['CUSTOMER'] });
    const first = await verifier.viewerFromAuthorization(`Bearer ${token}`);
    first?.roles.push('STAFF');
    assert.deepEqual(await verifier.viewerFromAuthorization(`Bearer ${token}`), { id: 'alice', roles: ['CUSTOMER'] });
  });

  test('a remembered credential is refused once it has expired, at a subgraph and at the edge', async () => {
    const verifier = createServiceTokenVerifier(config);
    const userVerifier = createUserTokenVerifier(config);
    const credential = await signCallerToken(config, { id: 'alice', roles: ['CUSTOMER'] });
    const user = await userToken({ exp: now() + 120 });
    assert.deepEqual(await verifier.viewerFromAuthorization(`Bearer ${credential}`), { id: 'alice', roles: ['CUSTOMER'] });
    assert.deepEqual(await userVerifier.viewerFromAuthorization(`Bearer ${user}`), { id: 'alice', roles: ['CUSTOMER'] });
    // Only the clock moves: promises and I/O run as usual.
    jest.useFakeTimers({
      doNotFake: [
        'nextTick',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'hrtime',
        'performance',
      ],
    });
    jest.setSystemTime(Date.now() + 121_000);
    await unauthenticated(verifier, `Bearer ${credential}`);
    await unauthenticated(userVerifier, `Bearer ${user}`);
  });
});

describe("the gateway's credential per caller", () => {
  test('is reused for the same caller and differs between callers, each naming its own', async () => {
    const credential = callerTokenSource(config);
    const alice = { id: 'alice', roles: ['CUSTOMER'] as Role[] };
    const first = await credential(alice);
    assert.equal(await credential({ ...alice }), first);
    const staff = await credential({ id: 'alice', roles: ['STAFF'] });
    assert.notEqual(staff, first);
    assert.deepEqual(await subgraph.viewerFromAuthorization(`Bearer ${staff}`), { id: 'alice', roles: ['STAFF'] });
    assert.equal(await subgraph.viewerFromAuthorization(`Bearer ${await credential(null)}`), null);
  });
});
