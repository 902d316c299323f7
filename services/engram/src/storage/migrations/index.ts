import { memoriesMigration } from './001-memories';
import { authMigration } from './010-auth';
import { vectorChangesMigration } from './011-vector-changes';
import { ftsUpdateTriggerMigration } from './012-fts-update-trigger';
import { oauthGrantsMigration } from './013-oauth-grants';
import { trashIndexesMigration } from './014-trash-indexes';
import { mcpCancellationsMigration } from './015-mcp-cancellations';
import { Migration } from './migration';

/** Every migration, in order. Append new ones; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  memoriesMigration,
  authMigration,
  vectorChangesMigration,
  ftsUpdateTriggerMigration,
  oauthGrantsMigration,
  trashIndexesMigration,
  mcpCancellationsMigration,
];
