import { Module } from '@nestjs/common';
import { MemoriesModule } from '../memories/memories.module';
import { SandboxModule } from '../sandbox/sandbox.module';
import { StorageModule } from '../storage/storage.module';
import { agentFileStoreProvider } from './agent-file-store.provider';
import { AgentHealth } from './agent-health';
import { AgentFilesController } from './agent-files.controller';
import { AgentFilesService } from './agent-files.service';
import { AgentController } from './agent.controller';
import { AgentService } from './agent.service';
import { MemoryFileIndexer } from './memory-file.indexer';

@Module({
  imports: [MemoriesModule, SandboxModule, StorageModule],
  controllers: [AgentController, AgentFilesController],
  providers: [agentFileStoreProvider, AgentService, AgentFilesService, MemoryFileIndexer, AgentHealth],
  exports: [AgentService, AgentHealth],
})
export class AgentModule {}
