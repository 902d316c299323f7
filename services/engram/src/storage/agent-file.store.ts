import { FileActor, FileVersion, FileVersionPage } from './agent-file-journal';
import { MemoryLimits } from './agent-file.rules';

/** One visible file of a namespace's markdown memory. */
export interface AgentFileInfo {
  /** Relative to the memory root, `/` separators. */
  path: string;
  size: number;
  modifiedMs: number;
}

/**
 * A local folder holding one namespace's memory for one agent run (or import): the sandbox mounts `root`
 * and the ten memory functions work on it. `save` makes what the run changed the memory's content and
 * journals each changed file under the workspace's actor; `close` gives the folder up (always called,
 * also after a failure). Writes in the folder keep to `limits`, the store's own, so the run cannot give the
 * memory what a write through the store would refuse.
 */
export interface AgentFileWorkspace {
  readonly root: string;
  readonly limits: MemoryLimits;
  save(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The storage port for the memory agent's markdown memory: files and their contents per namespace. Paths
 * and sizes follow agent-file.rules.ts in every adapter (PathRefused, LimitExceeded, EntryMissing).
 * Writers of one namespace are serialised by the caller (StoreLocks.writeMemoryDir). Every change of a
 * visible file is journaled with the actor that made it, where the change is made (agent-file-journal.ts);
 * hidden root files (`.filters`) are not part of the history.
 */
export abstract class AgentFileStore {
  /** Namespaces holding at least one file (start-up indexing walks them). */
  abstract namespaces(): Promise<string[]>;
  /** Visible files, sorted by path; an empty list for a namespace that never had one. */
  abstract list(namespace: string): Promise<AgentFileInfo[]>;
  abstract read(namespace: string, path: string): Promise<string>;
  /** Creates or replaces a file; `created` is false when it replaced one. */
  abstract write(namespace: string, path: string, content: string, actor: FileActor): Promise<{ created: boolean }>;
  abstract delete(namespace: string, path: string, actor: FileActor): Promise<void>;
  /** A hidden file of the root (`.filters`); undefined when there is none. */
  abstract readRootFile(namespace: string, name: string): Promise<string | undefined>;
  abstract writeRootFile(namespace: string, name: string, content: string): Promise<{ created: boolean }>;
  /** The namespace's memory as a local folder for one agent run or import (see AgentFileWorkspace). */
  abstract openWorkspace(namespace: string, actor: FileActor): Promise<AgentFileWorkspace>;
  /** The file's journaled versions, newest first (deleted files keep theirs). */
  abstract history(namespace: string, path: string, page: { limit: number; before?: number }): Promise<FileVersionPage>;
  /** One version of the file with its content (null for a deletion); undefined when there is no such version. */
  abstract version(
    namespace: string,
    path: string,
    id: number,
  ): Promise<{ version: FileVersion; content: string | null } | undefined>;
}

/**
 * Provided (and exported) by the storage module when its backend keeps the agent's files itself
 * (PostgreSQL: `new PostgresAgentFileStore(db)`); without it the agent keeps them in MEMORY_DIR.
 */
export const DATABASE_AGENT_FILE_STORE = Symbol('DATABASE_AGENT_FILE_STORE');
