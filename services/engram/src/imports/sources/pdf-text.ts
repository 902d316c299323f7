import { dirname, join } from 'node:path';
import type { PDFPageProxy, TextItem } from 'pdfjs-dist/types/src/display/api';
import { ImportRejected } from '../imports.errors';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

/** Items of one text line further apart than this (in points) are cells: a tab goes between them. */
const CELL_GAP = 7;
/** A baseline that moves by more than this starts a new line. */
const LINE_GAP = 4.6;

let pdfjs: Promise<PdfJs> | undefined;

/**
 * Mozilla's pdf.js (the legacy build, made for Node), loaded once. Its worker code runs in this
 * thread (imports already read documents in a worker thread of their own), so nothing is fetched.
 */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= (async () => {
    const worker = await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
    return import('pdfjs-dist/legacy/build/pdf.mjs');
  })();
  return pdfjs;
}

/** Character maps (CJK fonts) and the standard fonts' metrics ship in the package: read from disk. */
function assetFolder(name: string): string {
  return `${join(dirname(require.resolve('pdfjs-dist/package.json')), name)}/`;
}

/**
 * The text of a PDF, page by page, with where each page starts in it so chunks can name their pages.
 * Text only: no canvas, no fonts loaded into the process, no scripts (eval off), no network. Scanned
 * PDFs without a text layer give no text; encrypted or damaged ones are refused with the file named.
 */
export async function pdfText(
  bytes: Buffer,
  label: string,
): Promise<{ text: string; pages: { number: number; start: number }[] }> {
  const { getDocument, VerbosityLevel } = await loadPdfJs();
  const loading = getDocument({
    data: new Uint8Array(bytes),
    verbosity: VerbosityLevel.ERRORS,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWorkerFetch: false,
    isOffscreenCanvasSupported: false,
    enableXfa: false,
    cMapUrl: assetFolder('cmaps'),
    cMapPacked: true,
    standardFontDataUrl: assetFolder('standard_fonts'),
  });
  try {
    const document = await loading.promise;
    const pages: { number: number; start: number }[] = [];
    let text = '';
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const pageText = (await textOfPage(page)).trim();
      page.cleanup();
      if (pageText === '') continue;
      if (text !== '') text += '\n\n';
      pages.push({ number, start: text.length });
      text += pageText;
    }
    return { text, pages };
  } catch (error) {
    if ((error as Error).name === 'PasswordException')
      throw new ImportRejected(`${label} is password-protected; export it without a password`);
    throw new ImportRejected(`${label} is not a readable PDF: ${(error as Error).message}`);
  } finally {
    await loading.destroy();
  }
}

/** A page's text in reading order: a new line where the baseline moves, a tab between distant cells. */
async function textOfPage(page: PDFPageProxy): Promise<string> {
  const viewport = page.getViewport({ scale: 1 });
  const content = await page.getTextContent();
  const parts: string[] = [];
  let lastX: number | undefined;
  let lastY: number | undefined;
  let lineHeight = 0;
  for (const item of content.items) {
    if (!('str' in item)) continue;
    const { str, hasEOL, width, height, transform } = item as TextItem;
    const [x, y] = viewport.convertToViewportPoint(transform[4], transform[5]);
    let piece = str;
    if (lastY !== undefined && Math.abs(lastY - y) > LINE_GAP) {
      const blank = str.startsWith('\n') || (str.trim() === '' && hasEOL);
      if (
        !blank &&
        parts.length > 0 &&
        !parts[parts.length - 1].endsWith('\n') &&
        Math.abs(lastY - y) - 1 > lineHeight
      ) {
        parts.push('\n');
        lineHeight = 0;
      }
    } else if (lastY !== undefined && lastX !== undefined && Math.abs(lastX - x) > CELL_GAP) {
      piece = `\t${piece}`;
    }
    parts.push(piece);
    lastX = x + width;
    lastY = y;
    lineHeight = Math.max(lineHeight, height);
    if (hasEOL) parts.push('\n');
    if (hasEOL || piece.endsWith('\n')) lineHeight = 0;
  }
  return parts.join('');
}
