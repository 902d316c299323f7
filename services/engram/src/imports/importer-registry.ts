import { ImportRejected } from './imports.errors';
import { DetectProbe, Importer, ImportSource } from './imports.types';
import { ImportInput } from './input/import-input';

let loaded: Promise<readonly Importer[]> | undefined;

/**
 * The importers, loaded on first use: their parsers (HTML to markdown, YAML, markdown, charset
 * detection) are a tenth of the api's start-up, and most processes never import anything.
 */
export function loadImporters(): Promise<readonly Importer[]> {
  return (loaded ??= import('./importers.js').then((module) => module.IMPORTERS));
}

export async function importerFor(source: ImportSource): Promise<Importer> {
  const importer = (await loadImporters()).find((candidate) => candidate.source === source);
  if (!importer) throw new Error(`No importer for source "${source}"`);
  return importer;
}

/**
 * The importer of the first format the probe matches; refused when none does. A single file that only a
 * generic importer (documents, markdown notes) or none recognises by its head is first offered to the
 * formats whose mark may lie further in (an MCP Memory Service export whose first memory is long), which
 * read into it to tell.
 */
export async function detectImporter(probe: DetectProbe, input?: ImportInput): Promise<Importer> {
  const importers = await loadImporters();
  const importer = importers.find((candidate) => candidate.detect(probe));
  if (input && (importer === undefined || importer.generic)) {
    for (const candidate of importers) if (await candidate.detectInFile?.(input)) return candidate;
  }
  if (!importer) {
    throw new ImportRejected(
      `${probe.name}: cannot tell what kind of export this is; name the source (${importers.map((candidate) => candidate.source).join(', ')})`,
    );
  }
  return importer;
}
