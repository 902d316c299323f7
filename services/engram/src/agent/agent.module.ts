import { Module } from '@nestjs/common';
import { MemoriesModule } from '../memories/memories.module';
import { SandboxModule } from '../sandbox/sandbox.module';
import { StorageModule } from '../storage/storage.module';
import { agentFileStoreProvider } from './agent-file-store.provider';
import { AgentFileHistoryService } from './agent-file-history.service';
import { AgentHealth } from './agent-health';
import { AgentFilesController } from './agent-files.controller';
import { AgentFilesService } from './agent-files.service';
import { AgentController } from './agent.controller';
import { AgentService } from './agent.service';
import { MemoryFolderWatcher } from './memory-dir/memory-folder.watcher';
import { MemoryFileIndexer } from './memory-file.indexer';

@Module({
  imports: [MemoriesModule, SandboxModule, StorageModule],
  controllers: [AgentController, AgentFilesController],
  providers: [
    agentFileStoreProvider,
    AgentService,
    AgentFilesService,
    AgentFileHistoryService,
    MemoryFileIndexer,
    MemoryFolderWatcher,
    AgentHealth,
  ],
  exports: [AgentService, AgentHealth],
})
export class AgentModule {}
