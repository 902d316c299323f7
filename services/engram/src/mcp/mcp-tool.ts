import { z } from 'zod';

/**
 * How a tool touches memory, which sets its MCP annotations (clients such as ChatGPT run `read` tools
 * without asking) and, later, the API-key scope it needs.
 */
export type ToolEffect = 'read' | 'write' | 'destructive';

/** What a tool hands back: the structured result, and one short line for clients that only read text. */
export interface ToolAnswer<Output> {
  structured: Output;
  text: string;
}

/** What a running tool may use besides its arguments. */
export interface ToolCallContext {
  /**
   * Sends an MCP progress notification when the client asked for progress (a progressToken); a no-op
   * otherwise. Long-running tools call it so clients keep waiting and can show where the work is.
   */
  reportProgress(progress: number, total?: number, message?: string): Promise<void>;
  /** Aborted when the client cancels the request or the connection closes. */
  signal: AbortSignal;
}

/** One entry of the catalog, independent of the transport that serves it. */
export interface McpTool<Input extends z.ZodRawShape = z.ZodRawShape, Output extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  effect: ToolEffect;
  /** Repeating the call with the same arguments changes nothing more. */
  idempotent: boolean;
  /** Old names kept for existing clients; listed with "Deprecated" unless configured away. */
  legacy?: boolean;
  input: z.ZodObject<Input>;
  output: z.ZodObject<Output>;
  run(args: z.output<z.ZodObject<Input>>, call: ToolCallContext): Promise<ToolAnswer<z.input<z.ZodObject<Output>>>>;
}

/**
 * ChatGPT's `search` and `fetch`: their contract is one text item holding a JSON document, with no
 * output schema, so they are declared apart from the structured tools.
 */
export interface McpJsonTextTool<Input extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject<Input>;
  run(args: z.output<z.ZodObject<Input>>): Promise<unknown>;
}

/** Keeps each tool's argument and result types checked where it is written. */
export function defineTool<Input extends z.ZodRawShape, Output extends z.ZodRawShape>(
  tool: McpTool<Input, Output>,
): McpTool {
  return tool as unknown as McpTool;
}

export function defineJsonTextTool<Input extends z.ZodRawShape>(tool: McpJsonTextTool<Input>): McpJsonTextTool {
  return tool as unknown as McpJsonTextTool;
}

export function annotationsFor(tool: Pick<McpTool, 'title' | 'effect' | 'idempotent'>) {
  return {
    title: tool.title,
    readOnlyHint: tool.effect === 'read',
    destructiveHint: tool.effect === 'destructive',
    idempotentHint: tool.idempotent,
    // Tools act on this server's own memory, never on the outside world.
    openWorldHint: false,
  };
}
