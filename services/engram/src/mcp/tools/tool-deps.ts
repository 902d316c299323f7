import { AppConfig } from '../../config/config.types';
import { ConflictService } from '../../conflicts/conflict.service';
import { ConsolidationService } from '../../consolidation/consolidation.service';
import { ExactDuplicates } from '../../consolidation/exact-duplicates';
import { HarvestService } from '../../harvest/harvest.service';
import { StatusReportService } from '../../health/status-report.service';
import { MemoryService } from '../../memories/memory.service';
import { SessionService } from '../../memories/session.service';
import { QualityService } from '../../quality/quality.service';
import { SearchService } from '../../search/search.service';

/** The services every tool is written against: the same ones the REST controllers use. */
export interface ToolDeps {
  memories: MemoryService;
  sessions: SessionService;
  search: SearchService;
  quality: QualityService;
  conflicts: ConflictService;
  consolidation: ConsolidationService;
  duplicates: ExactDuplicates;
  harvest: HarvestService;
  status: StatusReportService;
  config: AppConfig;
}
