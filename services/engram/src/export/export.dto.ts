import { z } from 'zod';
import { isNamespace } from '../auth/namespace';

export const ExportQuery = z.strictObject({
  namespace: z
    .string()
    .refine(isNamespace, 'a namespace is 1-64 lower-case letters, digits, _ or -')
    .optional()
    .describe('Export one namespace (default: every namespace)'),
  vectors: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('Include each memory’s vector and the embedding model id (for a store of the same model)'),
});
export type ExportInput = z.output<typeof ExportQuery>;
