import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/** The OpenAPI schema of what a client sends, generated from the same zod schema that validates it. */
export function openApiSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return json;
}

export function ApiZodBody(schema: z.ZodType, description?: string): MethodDecorator {
  return ApiBody({ schema: openApiSchema(schema) as never, description });
}

/** One documented query parameter per field of the zod object that validates the query string. */
export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const json = openApiSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  const required = new Set(json.required ?? []);
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: required.has(name), schema: property as never }),
    ),
  );
}

/** Documents the error statuses a route can answer, all with the common error body. */
export function ApiErrors(...statuses: number[]): MethodDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: ERROR_DESCRIPTIONS[status] ?? 'Error', schema: ERROR_BODY_SCHEMA as never }),
    ),
  );
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (the message names each problem)',
  401: 'Missing or wrong API key',
  404: 'No such memory',
  409: 'Duplicate content',
  413: 'Content, metadata or body larger than the configured limit',
  415: 'Unsupported content type (send application/json)',
  422: 'Well-formed but unprocessable (e.g. an empty time range)',
  503: 'Embedding provider unavailable',
};

const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'Stable machine-readable code' },
    message: { type: 'string', description: 'What went wrong, for people' },
    details: { description: 'Structured details, e.g. validation issues' },
  },
};
