import { FactoryProvider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { AgentFileJournal } from '../storage/agent-file-journal';
import { memoryLimitsWithEntries } from '../storage/agent-file.rules';
import { AgentFileStore, DATABASE_AGENT_FILE_STORE } from '../storage/agent-file.store';
import { FolderAgentFileStore } from './memory-dir/folder-agent-file.store';

/**
 * Where the markdown memory lives, chosen once: in the database when the storage backend offers a store
 * for it (replicas on different nodes then share it), else in `<MEMORY_DIR>/<namespace>` on local disk.
 */
export const agentFileStoreProvider: FactoryProvider<AgentFileStore> = {
  provide: AgentFileStore,
  inject: [APP_CONFIG, AgentFileJournal, { token: DATABASE_AGENT_FILE_STORE, optional: true }],
  useFactory: (config: AppConfig, journal: AgentFileJournal, inDatabase?: AgentFileStore) =>
    inDatabase ?? new FolderAgentFileStore(config.memoryDir, journal, memoryLimitsWithEntries(config.memoryMaxEntries)),
};
