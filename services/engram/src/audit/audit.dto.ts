import { z } from 'zod';
import { isNamespace } from '../auth/namespace';
import { isoDateMs } from '../common/iso-date';
import { optionalQueryInteger, queryInteger } from '../common/request-fields';
import { AUDIT_ACTIONS, AuditAction, AuditQuery } from './audit-event';

const MAX_PAGE = 500;

const IsoTime = z
  .string()
  .max(40)
  .refine((text) => !Number.isNaN(isoDateMs(text)), 'expected an ISO 8601 date/time (a day the calendar has)')
  .transform(isoDateMs);

/** `GET /api/admin/audit` and `engram audit`: filters and paging of the audit log. */
const AuditQueryFields = z.strictObject({
  action: z
    .enum(AUDIT_ACTIONS as [AuditAction, ...AuditAction[]])
    .optional()
    .describe(`One action: ${AUDIT_ACTIONS.join(', ')}`),
  principal: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('A key id, OAuth client id, MCP_API_KEY, anonymous or local'),
  namespace: z
    .string()
    .refine(isNamespace, 'a namespace is 1-64 lower-case letters, digits, _ or -')
    .optional()
    .describe('Entries of one namespace'),
  since: IsoTime.optional().describe('Entries at or after this time (ISO 8601)'),
  until: IsoTime.optional().describe('Entries before this time (ISO 8601)'),
  cursor: optionalQueryInteger(1, Number.MAX_SAFE_INTEGER).describe('next_cursor of the previous page: older entries'),
  limit: queryInteger(1, MAX_PAGE, 50).describe(`Entries per page (1-${MAX_PAGE})`),
});

/** The fields as the repository's query: the cursor names the entries before it. */
export const AuditQueryInput = AuditQueryFields.transform(({ cursor, ...filters }): AuditQuery => ({
  ...filters,
  before: cursor,
}));
