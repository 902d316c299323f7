import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access';
import { ApiErrors, ZodBody } from '../common/api-schema.decorators';
import { toMemoryView } from '../memories/memory.view';
import {
  SearchBody,
  SearchByTagBody,
  SearchByTagInput,
  SearchByTimeBody,
  SearchByTimeInput,
  SearchInput,
} from './search.dto';
import { toHitView } from './search-hit.view';
import { SearchService } from './search.service';
import { CreatedRange } from '../time/time-filter';

@ApiTags('search')
@ApiSecurity('api_key')
@Controller('api')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  // `/api/memories/search` is the path MCP Memory Service's docs call; served as an alias.
  @Post(['search', 'memories/search'])
  @RequireScope('read') // searches are POSTs that only read
  @HttpCode(200)
  @ApiOperation({ summary: 'Hybrid (default), semantic or keyword search with tag, type and time filters' })
  @ApiErrors(400, 401, 415, 422, 503)
  async hybridSearch(@ZodBody(SearchBody) body: SearchInput) {
    const outcome = await this.search.hybridSearch(body);
    return {
      results: outcome.hits.map(toHitView),
      total_found: outcome.hits.length,
      below_floor: outcome.belowFloor,
      query: body.query,
      search_type: outcome.mode,
      rerank: outcome.rerank,
      time_range: toRangeView(outcome.range),
      processing_time_ms: round(outcome.elapsedMs),
    };
  }

  @Post('search/by-tag')
  @RequireScope('read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Memories carrying the tags (any by default, all with match_all), newest first' })
  @ApiErrors(400, 401, 415, 422)
  async searchByTag(@ZodBody(SearchByTagBody) body: SearchByTagInput) {
    const memories = await this.search.searchByTag(body);
    return {
      results: memories.map((memory) => ({ memory: toMemoryView(memory) })),
      total_found: memories.length,
      tags: body.tags,
      match_all: body.tagMatch === 'all',
    };
  }

  @Post('search/by-time')
  @RequireScope('read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Memories from a natural-language time range, optionally ranked by a semantic query' })
  @ApiErrors(400, 401, 415, 422, 503)
  async searchByTime(@ZodBody(SearchByTimeBody) body: SearchByTimeInput) {
    const { hits, range } = await this.search.searchByTime(body);
    return {
      results: hits.map(toHitView),
      total_found: hits.length,
      query: body.query,
      time_range: toRangeView(range),
    };
  }
}

function toRangeView(range: CreatedRange) {
  const iso = (ms?: number) => (ms === undefined ? null : new Date(ms).toISOString());
  return { start: iso(range.createdFromMs), end: iso(range.createdBeforeMs) };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
