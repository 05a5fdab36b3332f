import { describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { createTokenVerifier, serviceTokenSource, signUserToken } from './auth.js';
import type { AuthConfig } from './config.js';
import { appError } from '../test/support/errors.js';

const config: AuthConfig = {
  jwtSecret: 'a-test-secret-that-is-at-least-32-characters',
  issuer: 'bakery',
  audience: 'bakery-api',
  serviceSecret: 'a-service-secret-that-is-at-least-32-chars',
};
const verifier = createTokenVerifier(config);

async function unauthenticated(header: string) {
  await expect(verifier.viewerFromAuthorization(header)).rejects.toThrow(appError('UNAUTHENTICATED'));
}

describe('token verification', () => {
  test('no token is an anonymous caller', async () => {
    expect(await verifier.viewerFromAuthorization(undefined)).toBeNull();
  });

  test('a user token names the customer and roles', async () => {
    const token = await signUserToken(config, { subject: 'alice', roles: ['CUSTOMER'] });
    expect(await verifier.viewerFromAuthorization(`Bearer ${token}`)).toStrictEqual({ id: 'alice', roles: ['CUSTOMER'] });
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
    expect(await verifier.viewerFromAuthorization(`Bearer ${token}`)).toStrictEqual({ id: 'service:order', roles: ['SERVICE'] });
  });

  test('garbage and wrong schemes are refused', async () => {
    await unauthenticated('Bearer not-a-jwt');
    await unauthenticated('Basic YWxpY2U6cGFzcw==');
  });
});
