import { z } from 'zod';
import { isNamespace } from '../namespace';
import { SCOPES } from '../scopes';

/** The longest a key may live, in days (ten years). */
export const MAX_KEY_EXPIRY_DAYS = 3650;

export const CreateApiKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(100).describe('Who or what uses the key'),
  scopes: z
    .array(z.enum(SCOPES))
    .min(1, 'give at least one scope')
    .transform((scopes) => [...new Set(scopes)])
    .describe('read, write (includes read), admin (includes both)'),
  namespace: z
    .string()
    .refine(isNamespace, 'namespace is 1-64 lower-case letters, digits, _ or -')
    .optional()
    .describe('Bind the key to this namespace; it can then never read or write another'),
  expires_in_days: z.number().int().min(1).max(MAX_KEY_EXPIRY_DAYS).optional().describe('Default: never expires'),
});
export type CreateApiKeyInput = z.output<typeof CreateApiKeyBody>;

export const ApiKeyIdParam = z.string().uuid('expected a key id (UUID)');
