import { z } from 'zod';

/** A device tag: a short lower-case label (a canary group, a scope model, a building). */
export const deviceTagSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,39}$/,
    'a tag is 1-40 lower-case letters, digits, dots, dashes or underscores',
  );

/** A device's tags: at most 20, kept once each and in order. */
export const deviceTagsSchema = z
  .array(deviceTagSchema)
  .max(20, 'at most 20 tags')
  .transform((tags) => [...new Set(tags)].sort());
