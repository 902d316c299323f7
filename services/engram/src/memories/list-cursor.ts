import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidInput } from '../common/domain-errors';

/** What a cursor continues: the memory list or the trash. */
export type CursorKind = 'memories' | 'trash';

/** The last row a page gave, in its walk's order: its time (creation or deletion, epoch ms) and id. */
export interface CursorPosition {
  at: number;
  id: number;
}

/**
 * The request fields a walk must keep from page to page (filters, order, namespace), by name. A cursor
 * holds a digest of each, so a request that changes one is refused with its name rather than given a page
 * of another list from a position that means nothing there.
 */
export type CursorFields = Record<string, unknown>;

/** Longer than any cursor this module writes; a longer one is refused before it is decoded. */
export const MAX_CURSOR_LENGTH = 1_000;

const AGAIN = 'pass next_cursor exactly as it was returned, or start again without cursor';

/** Version 2 seals the row id (`p`); version 1 carried it as it was. */
const CursorBody = z.strictObject({
  v: z.literal(2),
  k: z.enum(['memories', 'trash']),
  at: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  p: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  f: z.record(z.string(), z.string()),
  c: z.string(),
});
type CursorBody = z.output<typeof CursorBody>;

/**
 * The cursor of the page after `position`: base64url of a small JSON body, the row id in it sealed with
 * the store's cursor key (SettingsStore.cursorKey). Row ids count the whole store: shown as they were, the
 * gap between two of a tenant's own told it how many memories other namespaces stored meanwhile.
 */
export function encodeCursor(kind: CursorKind, position: CursorPosition, fields: CursorFields, key: Buffer): string {
  const body = { v: 2 as const, k: kind, at: position.at, p: sealId(position.id, key), f: fieldDigests(fields) };
  return Buffer.from(JSON.stringify({ ...body, c: checksum(body) })).toString('base64url');
}

/**
 * The position a cursor continues from, once it is known to be one this service wrote for a request of
 * this kind with these fields; otherwise an InvalidInput (400) naming the problem: not a cursor, damaged
 * or edited, of the other list, or made for other filters (named).
 */
export function decodeCursor(cursor: string, kind: CursorKind, fields: CursorFields, key: Buffer): CursorPosition {
  const body = parsedBody(cursor);
  const { c, ...signed } = body;
  const id = openId(body.p, key);
  if (c !== checksum(signed) || id === undefined) throw new InvalidInput(`cursor is damaged or was edited: ${AGAIN}`);
  if (body.k !== kind) {
    throw new InvalidInput(`cursor continues ${describeKind(body.k)}, not ${describeKind(kind)}: ${AGAIN}`);
  }
  const changed = changedFields(body.f, fieldDigests(fields));
  if (changed.length > 0) {
    throw new InvalidInput(
      `cursor was made for another ${changed.join(', ')}: repeat the filters and order of the request that ` +
        'returned it, or start again without cursor',
      { changed },
    );
  }
  return { at: body.at, id };
}

function parsedBody(cursor: string): CursorBody {
  const notOurs = new InvalidInput(`cursor is not one this service returned: ${AGAIN}`);
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw notOurs;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw notOurs;
  }
  const parsed = CursorBody.safeParse(json);
  if (!parsed.success) throw notOurs;
  return parsed.data;
}

/** A short digest of each field given (undefined ones left out): enough to tell a changed filter. */
function fieldDigests(fields: CursorFields): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) digests[name] = digest(`${name}=${JSON.stringify(value)}`).slice(0, 8);
  }
  return digests;
}

function changedFields(made: Record<string, string>, now: Record<string, string>): string[] {
  const names = [...new Set([...Object.keys(made), ...Object.keys(now)])].sort();
  return names.filter((name) => made[name] !== now[name]);
}

/**
 * One AES block: the id's 8 bytes, then 8 zero bytes that opening checks, so an edited seal is refused
 * (but for one in 2^64) rather than read as another id.
 */
function sealId(id: number, key: Buffer): string {
  const block = Buffer.alloc(16);
  block.writeBigUInt64BE(BigInt(id));
  const cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
}

/** The id a seal holds; undefined when the seal was not made with this key. */
function openId(sealed: string, key: Buffer): number | undefined {
  const decipher = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  const block = Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]);
  const id = block.readBigUInt64BE(0);
  if (block.readBigUInt64BE(8) !== 0n || id < 1n || id > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(id);
}

/**
 * Catches a cursor cut short or edited by hand. Not a secret: a forged cursor can only start a page of
 * the caller's own namespace and filters somewhere else, which a request without cursor can do too.
 */
function checksum(body: Omit<CursorBody, 'c'>): string {
  return digest(JSON.stringify(body)).slice(0, 12);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function describeKind(kind: CursorKind): string {
  return kind === 'memories' ? 'the memory list' : 'the trash';
}
