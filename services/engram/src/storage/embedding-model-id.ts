/**
 * The id a store records for vectors of `modelId`. The bundled model's int8 arithmetic was recorded as
 * a model of its own (`use-lite-512-int8@…`) before its vectors were shown to be interchangeable with
 * fp32's (same retrieval mixed either way): such a store is the bundled model's, and is re-recorded so.
 */
export function canonicalModelId<Id extends string | undefined>(modelId: Id): Id {
  return modelId?.replace(/^use-lite-512-int8@/, 'use-lite-512@') as Id;
}
