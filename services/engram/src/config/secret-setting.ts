import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { EnvReader } from './env-reader';

export interface SecretSetting {
  /** True when NAME or NAME_FILE was given, even if the value could not be read. */
  given: boolean;
  /** The secret, trimmed; undefined when not given or not readable (a problem is then recorded). */
  value?: string;
}

/**
 * A secret set inline (NAME) or as a file (NAME_FILE, e.g. a Kubernetes secret mounted as a file), never
 * both. Problems name the variable and the file, never the value.
 */
export function readSecretSetting(read: EnvReader, name: string, cwd: string): SecretSetting {
  const inline = read.raw(name);
  const file = read.raw(`${name}_FILE`);
  if (inline !== undefined && file !== undefined) {
    read.errors.push(`Set ${name} or ${name}_FILE, not both`);
    return { given: true };
  }
  if (file === undefined) return { given: inline !== undefined, value: inline };
  try {
    return { given: true, value: readFileSync(isAbsolute(file) ? file : resolve(cwd, file), 'utf8').trim() };
  } catch (error) {
    read.errors.push(`${name}_FILE=${file} cannot be read: ${(error as NodeJS.ErrnoException).code}`);
    return { given: true };
  }
}
