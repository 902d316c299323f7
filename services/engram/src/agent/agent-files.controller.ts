import { Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody } from '../common/api-schema.decorators';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { FiltersBody, FiltersInput, MemoryFilePathParam } from './agent.dto';
import { AgentFilesService } from './agent-files.service';

/** The markdown memory of the caller's namespace, for people: read with links, and the `.filters` rules. */
@ApiTags('agent')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api/agent/files')
export class AgentFilesController {
  constructor(private readonly files: AgentFilesService) {}

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
  @ApiOperation({
    summary: 'Replace the privacy rules file (one "- rule" per line); the agent applies it to every answer',
  })
  @ApiErrors(400, 401, 403, 413, 415)
  async replaceFilters(@ZodBody(FiltersBody) body: FiltersInput) {
    await this.files.writeFilters(body.content);
    return { path: '.filters', content: body.content };
  }

  @Get('*')
  @ApiOperation({ summary: 'One memory file: content, its [[links]] resolved, and the files linking to it' })
  @ApiParam({ name: '*', description: 'Path from the memory root, e.g. entities/acme_corp.md' })
  @ApiErrors(400, 401, 403, 404)
  read(@Param('*', new ZodValidationPipe(MemoryFilePathParam, 'path')) path: string) {
    return this.files.read(path);
  }
}
