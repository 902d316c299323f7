import { IncomingMessage, ServerResponse } from 'node:http';

/** HTTP plumbing shared by the test doubles that speak OpenAI-compatible wire formats. */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** A JSON body already serialised (or deliberately broken, for the tests of bad answers). */
export function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(body);
}

/** OpenAI's error shape; `code` as the imitated server fills it (null for OpenAI, the status for vLLM). */
export function sendError(response: ServerResponse, status: number, message: string, code: number | null): void {
  send(response, status, JSON.stringify({ error: { message, type: 'invalid_request_error', code } }));
}

/** Lower-case words (letters and digits). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
