import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { createTokenVerifier, serviceTokenSource, signUserToken } from './auth.js';
import type { AuthConfig } from './config.js';
import { AppError } from './errors.js';

const config: AuthConfig = {
  jwtSecret: 'a-test-secret-that-is-at-least-32-characters',
  issuer: 'bakery',
  audience: 'bakery-api',
  serviceSecret: 'a-service-secret-that-is-at-least-32-chars',
};
const verifier = createTokenVerifier(config);

async function unauthenticated(header: string) {
  await assert.rejects(verifier.viewerFromAuthorization(header), (error: unknown) => error instanceof AppError && error.code === 'UNAUTHENTICATED');
}

describe('token verification', () => {
  test('no token is an anonymous caller', async () => {
    assert.equal(await verifier.viewerFromAuthorization(undefined), null);
  });

  test('a user token names the customer and roles', async () => {
    const token = await signUserToken(config, { subject: 'alice', roles: ['CUSTOMER'] });
    assert.deepEqual(await verifier.viewerFromAuthorization(`Bearer ${token}`), { id: 'alice', roles: ['CUSTOMER'] });
  });

  test('a token signed with another secret is refused', async () => {
    const forged = await signUserToken({ ...config, jwtSecret: 'another-secret-that-is-at-least-32-characters' }, { subject: 'mallory', roles: ['STAFF'] });
    await unauthenticated(`Bearer ${forged}`);
  });

  test('an expired token is refused', async () => {
    const expired = await new SignJWT({ roles: ['CUSTOMER'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(config.jwtSecret));
    await unauthenticated(`Bearer ${expired}`);
  });

  test('a user token cannot claim the SERVICE role', async () => {
    const token = await signUserToken(config, { subject: 'mallory', roles: ['SERVICE'] });
    await unauthenticated(`Bearer ${token}`);
  });

  test('a service token carries only SERVICE', async () => {
    const token = await serviceTokenSource(config, 'order')();
    assert.deepEqual(await verifier.viewerFromAuthorization(`Bearer ${token}`), { id: 'service:order', roles: ['SERVICE'] });
  });

  test('garbage and wrong schemes are refused', async () => {
    await unauthenticated('Bearer not-a-jwt');
    await unauthenticated('Basic YWxpY2U6cGFzcw==');
  });
});
