import { Types } from 'mongoose';
import { badInput } from './errors.js';

/** Parses an id the client sent; a malformed one is bad input naming the field. */
export function parseObjectId(value: string, field: string): Types.ObjectId {
  if (!/^[0-9a-f]{24}$/i.test(value)) throw badInput(field, `${field} must be a 24-character hex id, got "${value}"`);
  return new Types.ObjectId(value);
}

export const isObjectIdString = (value: string): boolean => /^[0-9a-f]{24}$/i.test(value);
