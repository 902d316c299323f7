import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors } from '../common/api-schema.decorators';
import { MemoryService } from './memory.service';

@ApiTags('memories')
@ApiSecurity('api_key')
@RequireScope('read')
@Controller('api')
export class TagsController {
  constructor(private readonly memories: MemoryService) {}

  @Get('tags')
  @ApiOperation({ summary: 'Every tag in use, with how many live memories carry it' })
  @ApiErrors(401)
  async tags() {
    return { tags: await this.memories.tags() };
  }

  @Get('types')
  @ApiOperation({ summary: 'Every memory type in use, with counts' })
  @ApiErrors(401)
  async types() {
    return { types: (await this.memories.stats()).types };
  }
}
