/**
 * The catalogue's rules: what a valid product is, and how stock is counted. Pure: no I/O.
 *
 * Stock is counted in four numbers that always add up: `available + held + sold === stocked`.
 * Orders hold stock (available -> held), then either take it (held -> sold) or give it back
 * (held -> available). Restocking adds to available and stocked.
 */
import { badInput } from '../../../../lib/errors.js';

export const MAX_PRICE = 10_000_000; // KRW: nothing a bakery sells costs ten million won
export const MAX_STOCK = 100_000;
const SKU = /^[A-Z0-9][A-Z0-9-]{1,39}$/;

export interface NewProduct {
  sku: string;
  name: string;
  description: string | null;
  price: number;
  limitedEdition: boolean;
  initialStock: number;
}

export interface ProductChanges {
  name?: string;
  description?: string | null;
  price?: number;
  limitedEdition?: boolean;
}

export interface CreateProductInput {
  sku: string;
  name: string;
  description?: string | null;
  price: number;
  limitedEdition?: boolean | null;
  initialStock?: number | null;
}

export interface UpdateProductInput {
  name?: string | null;
  description?: string | null;
  price?: number | null;
  limitedEdition?: boolean | null;
}

export function validateNewProduct(input: CreateProductInput): NewProduct {
  const sku = input.sku.trim();
  if (!SKU.test(sku)) {
    throw badInput('input.sku', `sku must be 2 to 40 capital letters, digits or hyphens, got "${input.sku}"`);
  }
  const initialStock = input.initialStock ?? 0;
  checkQuantity(initialStock, 'input.initialStock', 0);
  return {
    sku,
    name: validName(input.name, 'input.name'),
    description: validDescription(input.description, 'input.description'),
    price: validPrice(input.price, 'input.price'),
    limitedEdition: input.limitedEdition ?? false,
    initialStock,
  };
}

export function validateProductChanges(input: UpdateProductInput): ProductChanges {
  const changes: ProductChanges = {};
  if (input.name !== undefined) {
    if (input.name === null) throw badInput('input.name', 'name cannot be removed');
    changes.name = validName(input.name, 'input.name');
  }
  if (input.description !== undefined) changes.description = validDescription(input.description, 'input.description');
  if (input.price !== undefined) {
    if (input.price === null) throw badInput('input.price', 'price cannot be removed');
    changes.price = validPrice(input.price, 'input.price');
  }
  if (input.limitedEdition !== undefined) {
    if (input.limitedEdition === null) throw badInput('input.limitedEdition', 'limitedEdition cannot be removed');
    changes.limitedEdition = input.limitedEdition;
  }
  return changes;
}

/** A whole number of units from `min` to MAX_STOCK. */
export function checkQuantity(quantity: number, field: string, min = 1): number {
  if (!Number.isInteger(quantity) || quantity < min || quantity > MAX_STOCK) {
    throw badInput(field, `${field} must be a whole number from ${min} to ${MAX_STOCK}, got ${quantity}`);
  }
  return quantity;
}

function validName(name: string, field: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100) throw badInput(field, `${field} must be 1 to 100 characters`);
  return trimmed;
}

function validDescription(description: string | null | undefined, field: string): string | null {
  if (description === null || description === undefined) return null;
  const trimmed = description.trim();
  if (trimmed.length > 1000) throw badInput(field, `${field} must be at most 1000 characters`);
  return trimmed === '' ? null : trimmed;
}

function validPrice(price: number, field: string): number {
  if (!Number.isInteger(price) || price < 1 || price > MAX_PRICE) {
    throw badInput(field, `${field} must be a whole amount from 1 to ${MAX_PRICE}, got ${price}`);
  }
  return price;
}

export const isSoldOut = (product: { available: number }): boolean => product.available <= 0;
