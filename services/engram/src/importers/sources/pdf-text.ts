import { PDFParse } from 'pdf-parse';
import { ImportRejected } from '../import.errors';

/** Pages read per call: bounds the text held by the parser at once on long documents. */
const PAGES_PER_READ = 20;

/**
 * The text of a PDF, page by page (pdf-parse on Mozilla's pdf.js), with where each page starts in it
 * so chunks can name their pages. Scanned PDFs without a text layer give no text; encrypted or
 * damaged ones are refused with the file named.
 */
export async function pdfText(
  bytes: Buffer,
  label: string,
): Promise<{ text: string; pages: { number: number; start: number }[] }> {
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 });
  try {
    const { total } = await parser.getInfo();
    const pages: { number: number; start: number }[] = [];
    let text = '';
    for (let first = 1; first <= total; first += PAGES_PER_READ) {
      const numbers = Array.from({ length: Math.min(PAGES_PER_READ, total - first + 1) }, (_, i) => first + i);
      const result = await parser.getText({ partial: numbers, pageJoiner: '' });
      for (const page of result.pages) {
        const pageText = page.text.trim();
        if (pageText === '') continue;
        if (text !== '') text += '\n\n';
        pages.push({ number: page.num, start: text.length });
        text += pageText;
      }
    }
    return { text, pages };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'PasswordException')
      throw new ImportRejected(`${label} is password-protected; export it without a password`);
    throw new ImportRejected(`${label} is not a readable PDF: ${(error as Error).message}`);
  } finally {
    await parser.destroy();
  }
}
