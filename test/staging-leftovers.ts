import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceHelper } from './engram-cli';

const { backupIdAt } = serviceHelper('backups/backup-manifest.js');

/** Makes a folder and everything in it look untouched for `ms`, as when the crash was that long ago. */
export function untouchedFor(path: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  for (const name of readdirSync(path, { recursive: true }) as string[]) utimesSync(join(path, name), then, then);
  utimesSync(path, then, then);
}

/** A staging folder as a crash leaves it, `ageMs` ago, for a backup taken `minutesAgo` for `reason`. */
export function leaveStaging(backups: string, minutesAgo: number, reason: string | undefined, ageMs: number): string {
  const name = `.staging-${backupIdAt(new Date(Date.now() - minutesAgo * 60_000))}${reason ? `-${reason}` : ''}`;
  mkdirSync(join(backups, name), { recursive: true });
  writeFileSync(join(backups, name, 'engram.db'), Buffer.alloc(2048, 7));
  untouchedFor(join(backups, name), ageMs);
  return name;
}

/** The staging folders in the backups folder. */
export function stagingsIn(backups: string): string[] {
  return existsSync(backups) ? readdirSync(backups).filter((name) => name.startsWith('.staging-')) : [];
}
