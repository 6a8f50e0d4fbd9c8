import { ConfigError } from '../core/errors.ts';

/** A setting's value as the config file, the environment or a flag gives it, before it is checked. */
export type RawValue = string | number | boolean | string[] | Record<string, unknown> | undefined;

/**
 * Readers of one setting's value: each checks it and throws a ConfigError naming the setting
 * (`name` is the flag, variable or file key it came from).
 */
export function integer(name: string, value: RawValue, min: number, max: number): number {
  // Number() would read true as 1, an empty value as 0 and 0x50 as 80: only decimal digits count.
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  }
  return number;
}

export function text(name: string, value: RawValue): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(`${name} must be a string`);
  return String(value);
}

export function list(name: string, value: RawValue): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : text(name, value).split(',');
  return items.map((item) => String(item).trim()).filter((item) => item !== '');
}

export function boolean(name: string, value: RawValue): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${name} must be true or false`);
}

