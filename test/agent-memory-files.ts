import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client as PgClient } from 'pg';

/** The agent's memory files, by namespace and path, as one backend keeps them, read and written from outside. */
export interface MemoryFiles {
  put(files: { namespace: string; path: string; content: Buffer }[]): Promise<void>;
  clear(): Promise<void>;
  /** How many files there are and their bytes together. */
  tally(): Promise<{ files: number; bytes: number }>;
}

/** The backend's memory files: `agent_files` where `env` names a DATABASE_URL, else the folder `memoryDir`. */
export function memoryFilesOf(env: Record<string, string>, memoryDir: string): MemoryFiles {
  return env.DATABASE_URL ? databaseFiles(env.DATABASE_URL) : folderFiles(memoryDir);
}

function folderFiles(memoryDir: string): MemoryFiles {
  const filesUnder = () =>
    (readdirSync(memoryDir, { recursive: true }) as string[])
      .map((name) => statSync(join(memoryDir, name)))
      .filter((info) => info.isFile());
  return {
    async put(files) {
      for (const { namespace, path, content } of files) {
        mkdirSync(dirname(join(memoryDir, namespace, path)), { recursive: true });
        writeFileSync(join(memoryDir, namespace, path), content);
      }
    },
    async clear() {
      rmSync(memoryDir, { recursive: true, force: true });
      mkdirSync(memoryDir);
    },
    async tally() {
      const files = filesUnder();
      return { files: files.length, bytes: files.reduce((sum, info) => sum + info.size, 0) };
    },
  };
}

function databaseFiles(url: string): MemoryFiles {
  const withClient = async <T>(use: (client: PgClient) => Promise<T>): Promise<T> => {
    const client = new PgClient({ connectionString: url });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  };
  return {
    put: (files) =>
      withClient(async (client) => {
        for (const { namespace, path, content } of files) {
          await client.query('INSERT INTO agent_files (namespace, path, content, modified_at) VALUES ($1, $2, $3, 0)', [
            namespace,
            path,
            content,
          ]);
        }
      }),
    clear: () => withClient(async (client) => void (await client.query('DELETE FROM agent_files'))),
    tally: () =>
      withClient(async (client) => {
        const { rows } = await client.query(
          'SELECT count(*)::int AS files, coalesce(sum(octet_length(content)), 0)::bigint AS bytes FROM agent_files',
        );
        return { files: rows[0].files, bytes: Number(rows[0].bytes) };
      }),
  };
}
