/**
 * Prints a development token: `npm run token -- --sub alice --role CUSTOMER [--role STAFF] [--expires 12h]`.
 * Signed with JWT_SECRET (the development default unless set); production tokens come from the
 * identity provider.
 */
import { parseArgs } from 'node:util';
import { signUserToken, type Role } from '../lib/auth.js';
import { EnvReader, readCommonConfig } from '../lib/config.js';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    role: { type: 'string', multiple: true },
    expires: { type: 'string', default: '12h' },
  },
});

const isUserRole = (role: string): role is Role => role === 'CUSTOMER' || role === 'STAFF';
const asked = (values.role ?? ['CUSTOMER']).map((role) => role.toUpperCase());
const roles = asked.filter(isUserRole);
const unknown = asked.filter((role) => !isUserRole(role));
if (!values.sub || unknown.length > 0) {
  console.error('usage: npm run token -- --sub <id> [--role CUSTOMER|STAFF ...] [--expires 12h]');
  if (unknown.length > 0) console.error(`unknown role: ${unknown.join(', ')}`);
  process.exit(2);
}

const reader = new EnvReader();
const config = readCommonConfig(reader);
reader.done();
console.log(await signUserToken(config.auth, { subject: values.sub, roles, expiresIn: values.expires }));
