import { Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody, ZodQuery } from '../common/api-schema.decorators';
import { LargeBody } from '../common/request-body-size';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  FileHistoryInput,
  FileHistoryQuery,
  FileReadRoute,
  FileReadTarget,
  FileRevertBody,
  FileRevertInput,
  FileRevertRoute,
  FiltersBody,
  FiltersInput,
  FileWriteBody,
  FileWriteInput,
  MemoryFilePathParam,
} from './agent.dto';
import { AgentFileHistoryService } from './agent-file-history.service';
import { AgentFilesService } from './agent-files.service';

/**
 * The markdown memory of the caller's namespace, for people: read with links, each file's history and
 * versions, hand edits and reverts, and the `.filters` rules.
 */
@ApiTags('agent')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api/agent/files')
export class AgentFilesController {
  constructor(
    private readonly files: AgentFilesService,
    private readonly history: AgentFileHistoryService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The memory's files (user.md, entities/…): path, size, last change" })
  @ApiErrors(401, 403)
  async list() {
    return { files: await this.files.list() };
  }

  @Get('.filters')
  @ApiOperation({ summary: "The memory's privacy rules file, as text ('' when there is none)" })
  @ApiErrors(401, 403)
  async filters() {
    return { path: '.filters', content: await this.files.readFilters() };
  }

  @Put('.filters')
  @RequireScope('write')
  @LargeBody()
  @ApiOperation({
    summary: 'Replace the privacy rules file (one "- rule" per line); the agent applies it to every answer',
  })
  @ApiErrors(400, 401, 403, 413, 415)
  async replaceFilters(@ZodBody(FiltersBody) body: FiltersInput) {
    await this.files.writeFilters(body.content);
    return { path: '.filters', content: body.content };
  }

  @Get('*')
  @ApiOperation({
    summary:
      'One memory file (content, [[links]] resolved, backlinks); {path}/history: its versions, newest first; ' +
      '{path}/history/{version}: the content of one version',
  })
  @ApiParam({ name: '*', description: 'e.g. entities/acme_corp.md, entities/acme_corp.md/history, …/history/42' })
  @ApiErrors(400, 401, 403, 404)
  read(
    @Param('*', new ZodValidationPipe(FileReadRoute, 'path')) target: FileReadTarget,
    @ZodQuery(FileHistoryQuery) page: FileHistoryInput,
  ) {
    if (target.view === 'history') return this.history.history(target.path, page);
    if (target.view === 'version') return this.history.version(target.path, target.version);
    return this.files.read(target.path);
  }

  @Put('*')
  @RequireScope('write')
  @LargeBody()
  @ApiOperation({
    summary: 'Write a whole memory file by hand: journaled as a hand edit, searchable at once',
  })
  @ApiParam({ name: '*', description: 'Path from the memory root, e.g. entities/acme_corp.md' })
  @ApiErrors(400, 401, 403, 404, 413, 415, 503)
  write(
    @Param('*', new ZodValidationPipe(MemoryFilePathParam, 'path')) path: string,
    @ZodBody(FileWriteBody) body: FileWriteInput,
  ) {
    return this.history.write(path, body.content);
  }

  @Post('*')
  @HttpCode(200)
  @RequireScope('write')
  @ApiOperation({
    summary: '{path}/revert: give the file the content of an earlier version (a deleted file comes back); journaled',
  })
  @ApiParam({ name: '*', description: 'e.g. entities/acme_corp.md/revert' })
  @ApiErrors(400, 401, 403, 404, 413, 415, 503)
  revert(
    @Param('*', new ZodValidationPipe(FileRevertRoute, 'path')) path: string,
    @ZodBody(FileRevertBody) body: FileRevertInput,
  ) {
    return this.history.revert(path, body.version);
  }
}
