/**
 * Reads typed values out of a flat variable map, collecting one clear line per problem instead of
 * stopping at the first, so an operator fixes every mistake in one go.
 */
export class EnvReader {
  readonly errors: string[] = [];

  constructor(private readonly vars: Readonly<Record<string, string | undefined>>) {}

  /** The raw value of the first name that is set and not blank (later names are aliases). */
  raw(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.vars[name];
      if (value !== undefined && value.trim() !== '') return value.trim();
    }
    return undefined;
  }

  /** The value exactly as set (surrounding whitespace kept), when set and not blank. */
  verbatim(name: string): string | undefined {
    const value = this.vars[name];
    return value !== undefined && value.trim() !== '' ? value : undefined;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.errors.push(`${name}=${value} is not accepted; expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(value);
  }

  decimal(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d*\.?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.errors.push(`${name}=${value} is not accepted; expected a number from ${min} to ${max}`);
      return fallback;
    }
    return Number(value);
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.errors.push(`${name}=${value} is not accepted; expected true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, accepted: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const match = accepted.find((candidate) => candidate === value.toLowerCase());
    if (match === undefined) {
      this.errors.push(`${name}=${value} is not supported; accepted values: ${accepted.join(', ')}`);
      return fallback;
    }
    return match;
  }

  url(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    this.errors.push(`${name}=${value} is not accepted; expected an http:// or https:// URL`);
    return undefined;
  }
}
