import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface SecretSetting {
  /** True when NAME or NAME_FILE was given, even if the value could not be read. */
  given: boolean;
  /** The secret, trimmed; undefined when not given or not readable (a problem is then recorded). */
  value?: string;
}

/**
 * Reads typed values out of a flat variable map, collecting one clear line per problem instead of
 * stopping at the first, so an operator fixes every mistake in one go.
 */
export class EnvReader {
  readonly errors: string[] = [];

  /** @param cwd where a relative NAME_FILE path is found */
  constructor(
    private readonly vars: Readonly<Record<string, string | undefined>>,
    private readonly cwd = process.cwd(),
  ) {}

  /**
   * A secret set inline (NAME) or as a file (NAME_FILE, e.g. a Kubernetes secret mounted as a file), never
   * both. Problems name the variable and the file, never the value.
   */
  secret(name: string): SecretSetting {
    const inline = this.raw(name);
    const file = this.raw(`${name}_FILE`);
    if (inline !== undefined && file !== undefined) {
      this.errors.push(`Set ${name} or ${name}_FILE, not both`);
      return { given: true };
    }
    if (file === undefined) return { given: inline !== undefined, value: inline };
    try {
      return { given: true, value: readFileSync(resolve(this.cwd, file), 'utf8').trim() };
    } catch (error) {
      this.errors.push(`${name}_FILE=${file} cannot be read: ${(error as NodeJS.ErrnoException).code}`);
      return { given: true };
    }
  }

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
    this.errors.push(`${name}=${shownUrlSetting(value)} is not accepted; expected an http:// or https:// URL`);
    return undefined;
  }
}

/**
 * A URL-like setting as a problem shows it: a user and password before the host, and a query (where a
 * token can travel), left out, since start-up problems reach logs. `user:pass@host` without a scheme parses
 * as a URL of scheme `user:`, so the part before the host is cut whatever precedes it.
 */
export function shownUrlSetting(value: string): string {
  return value.replace(/^([a-z][a-z\d+.-]*:\/\/)?[^/?#]*@/i, '$1…@').replace(/\?.*$/, '?…');
}
