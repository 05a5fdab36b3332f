/**
 * Ids as clients send them. Pure: the shape of an ObjectId (24 hex digits) is checked here without
 * loading mongoose, so domain code may use it; stores turn the checked string into an ObjectId.
 */
import { badInput } from './errors.js';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export const isObjectIdString = (value: string): boolean => OBJECT_ID.test(value);

/** Parses an id the client sent into its canonical (lower-case hex) form; a malformed one is bad input naming the field. */
export function parseId(value: string, field: string): string {
  if (!isObjectIdString(value)) throw badInput(field, `${field} must be a 24-character hex id, got "${value}"`);
  return value.toLowerCase();
}
