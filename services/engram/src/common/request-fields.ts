import { z } from 'zod';

/** Request fields shared by several features' inputs (memories, events, imports, conflicts, harvest). */

export const MAX_TAGS = 64;
export const MAX_TAG_LENGTH = 100;

const tagText = z
  .string()
  .transform((tag) => tag.trim().replace(/\s+/g, ' ').toLowerCase())
  .pipe(
    z.string().min(1, 'tags must not be empty').max(MAX_TAG_LENGTH, `a tag has at most ${MAX_TAG_LENGTH} characters`),
  );

/** Tags as an array, or as one comma-separated string; normalised (trimmed, lower-case, deduplicated, sorted). */
export const TagsInput = z
  .union([z.array(z.string()), z.string().transform((csv) => csv.split(',').filter((tag) => tag.trim() !== ''))])
  .pipe(z.array(tagText).max(MAX_TAGS, `at most ${MAX_TAGS} tags`))
  .transform((tags) => [...new Set(tags)].sort())
  .describe('Tags: an array of strings, or one comma-separated string');

/** Query-string integers: digits only, so "1e3", "0x10", "-1" and "abc" are refused rather than coerced. */
export const digitsInteger = (min: number, max: number) => {
  const expected = `expected an integer from ${min} to ${max}`;
  return (
    z
      .string()
      .regex(/^\d+$/, { message: expected, abort: true })
      // More digits than `max` has is past it; the digits are an integer, so no .int() adds a second line to a huge one.
      .refine((digits) => digits.replace(/^0+/, '').length <= String(max).length, { message: expected, abort: true })
      .transform(Number)
      .pipe(z.number().min(min, expected).max(max, expected))
  );
};

export const optionalQueryInteger = (min: number, max: number) => digitsInteger(min, max).optional();

export const queryInteger = (min: number, max: number, fallback: number) => digitsInteger(min, max).default(fallback);
