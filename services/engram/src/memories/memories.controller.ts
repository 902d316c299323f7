import { Controller, Delete, Get, Headers, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody, ZodQuery } from '../common/api-schema.decorators';
import { LargeBody } from '../common/request-body-size';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  BatchStoreBody,
  ContentHashParam,
  DeleteMemoryQuery,
  ListMemoriesInput,
  ListMemoriesQuery,
  StoreMemoryBody,
  StoreMemoryInput,
  SupersedeMemoryBody,
  TrashInput,
  TrashQuery,
  UpdateMemoryBody,
  UpdateMemoryInput,
} from './memory.dto';
import { agentTags } from './agent-tags';
import { MemoryService } from './memory.service';
import {
  MEMORY_VIEW_SCHEMA,
  MemoryView,
  toDeletedMemoryView,
  toHistoryView,
  toMemoryPageView,
  toMemoryView,
  toPossibleConflictsView,
} from './memory.view';

const hashPipe = new ZodValidationPipe(ContentHashParam, 'path');

@ApiTags('memories')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api/memories')
export class MemoriesController {
  constructor(private readonly memories: MemoryService) {}

  @Post()
  @RequireScope('write')
  @LargeBody()
  @ApiOperation({ summary: 'Store a memory (exact duplicate content answers 409 with the existing memory)' })
  @ApiHeader({ name: 'X-Agent-ID', required: false, description: 'Adds the tag agent:<id>' })
  @ApiCreatedResponse({
    description: 'Stored; with ENGRAM_CONFLICTS_ON_WRITE=suggest also possible_conflicts',
    schema: { properties: { memory: MEMORY_VIEW_SCHEMA } },
  })
  @ApiErrors(400, 401, 409, 413, 415, 503)
  async store(@ZodBody(StoreMemoryBody) body: StoreMemoryInput, @Headers('x-agent-id') agentId?: string) {
    const { memory, possibleConflicts } = await this.memories.storeReviewed(body, agentTags(agentId));
    return {
      success: true,
      message: 'Memory stored',
      content_hash: memory.contentHash,
      memory: toMemoryView(memory),
      ...toPossibleConflictsView(possibleConflicts),
    };
  }

  @Post('batch')
  @RequireScope('write')
  @LargeBody()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Store many memories in one transaction (bulk ingest); duplicates are reported, not stored',
  })
  @ApiErrors(400, 401, 413, 415, 503)
  async storeBatch(
    @ZodBody(BatchStoreBody) body: { memories: StoreMemoryInput[] },
    @Headers('x-agent-id') agentId?: string,
  ) {
    const outcomes = await this.memories.storeMany(body.memories, agentTags(agentId));
    const stored = outcomes.filter((outcome) => outcome.created).length;
    return {
      success: true,
      stored,
      duplicates: outcomes.length - stored,
      results: outcomes.map((outcome, index) => ({
        index,
        status: outcome.created ? 'created' : 'duplicate',
        content_hash: outcome.memory.contentHash,
      })),
    };
  }

  @Get()
  @ApiOperation({ summary: 'List memories, newest first, with pagination and filters' })
  @ApiErrors(400, 401, 422)
  async list(@ZodQuery(ListMemoriesQuery) query: ListMemoriesInput) {
    return toMemoryPageView(await this.memories.list(query));
  }

  @Get('trash')
  @ApiOperation({
    summary: 'The trash: soft-deleted memories (each text once), most recently deleted first, with deleted_at',
  })
  @ApiErrors(400, 401)
  async trash(@ZodQuery(TrashQuery) query: TrashInput) {
    return toMemoryPageView(await this.memories.trash(query), toDeletedMemoryView);
  }

  @Get('trash/:hash')
  @ApiOperation({ summary: 'One memory in the trash by content_hash' })
  @ApiErrors(400, 401, 404)
  async getDeleted(@Param('hash', hashPipe) hash: string) {
    return toDeletedMemoryView(await this.memories.getDeleted(hash));
  }

  @Delete('trash/:hash')
  @RequireScope('write')
  @ApiOperation({ summary: 'Delete a memory in the trash for good' })
  @ApiErrors(400, 401, 404)
  async purge(@Param('hash', hashPipe) hash: string) {
    await this.memories.purge(hash);
    return { success: true, message: 'Memory deleted for good', content_hash: hash };
  }

  @Post(':hash/restore')
  @RequireScope('write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Restore a memory from the trash (re-embedded); 409 with the live memory when its content is live again',
  })
  @ApiErrors(400, 401, 404, 409, 503)
  async restore(@Param('hash', hashPipe) hash: string) {
    const memory = await this.memories.restore(hash);
    return {
      success: true,
      message: 'Memory restored',
      content_hash: memory.contentHash,
      memory: toMemoryView(memory),
    };
  }

  @Post(':hash/supersede')
  @RequireScope('write')
  @LargeBody()
  @ApiOperation({
    summary:
      'Replace a memory by a newer one (body as for store; tags, type and metadata left out are carried over): ' +
      'the old keeps its content and gets superseded_by and valid_to, and is hidden from search and lists',
  })
  @ApiHeader({ name: 'X-Agent-ID', required: false, description: 'Adds the tag agent:<id>' })
  @ApiErrors(400, 401, 404, 409, 413, 415, 503)
  async supersede(
    @Param('hash', hashPipe) hash: string,
    @ZodBody(SupersedeMemoryBody) body: StoreMemoryInput,
    @Headers('x-agent-id') agentId?: string,
  ) {
    const { previous, current } = await this.memories.supersede(hash, body, agentTags(agentId));
    return {
      success: true,
      message: 'Memory superseded',
      content_hash: current.contentHash,
      memory: toMemoryView(current),
      superseded: toMemoryView(previous),
    };
  }

  @Get(':hash/history')
  @ApiOperation({
    summary: 'Every version of a memory linked by supersession, in the order they held; the last holds now',
  })
  @ApiErrors(400, 401, 404)
  async history(@Param('hash', hashPipe) hash: string) {
    const versions = (await this.memories.history(hash)).map(toHistoryView);
    return { content_hash: hash, versions, total: versions.length };
  }

  @Get(':hash')
  @ApiOperation({ summary: 'Get one memory by content_hash (a superseded one is marked with superseded_by)' })
  @ApiOkResponse({ schema: MEMORY_VIEW_SCHEMA })
  @ApiErrors(400, 401, 404)
  async get(@Param('hash', hashPipe) hash: string): Promise<MemoryView> {
    return toMemoryView(await this.memories.read(hash));
  }

  @Put(':hash')
  @RequireScope('write')
  @LargeBody()
  @ApiOperation({ summary: 'Edit tags, type, metadata or content (new content is re-embedded and re-hashed)' })
  @ApiErrors(400, 401, 404, 409, 413, 415, 503)
  async update(@Param('hash', hashPipe) hash: string, @ZodBody(UpdateMemoryBody) body: UpdateMemoryInput) {
    const memory = await this.memories.update(hash, body);
    return { success: true, message: 'Memory updated', content_hash: memory.contentHash, memory: toMemoryView(memory) };
  }

  @Delete(':hash')
  @RequireScope('write')
  @ApiOperation({ summary: 'Delete a memory: soft by default (a tombstone), or for good with ?hard=true' })
  @ApiErrors(400, 401, 404)
  async delete(@Param('hash', hashPipe) hash: string, @ZodQuery(DeleteMemoryQuery) query: { hard: boolean }) {
    await this.memories.delete(hash, query.hard);
    return { success: true, message: query.hard ? 'Memory deleted for good' : 'Memory deleted', content_hash: hash };
  }
}
