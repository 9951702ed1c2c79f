/**
 * Checks the stand-in's traffic against OpenAI's own OpenAPI 3.1 description
 * (../shared/specs/openai.openapi.json, or the file named by OPENAI_SPEC).
 *
 * Loaded only when a stand-in is started with `validate: true`, so the demo bundle never
 * evaluates ajv. The 3.4 MB spec is parsed once per process; each schema is compiled on first
 * use (ajv caches it), so only the handful of operations the stand-in serves are ever compiled.
 *
 * What is checked: request bodies against the operation's `requestBody` schema, responses against
 * the operation's response schema for the status (each SSE chunk against the `text/event-stream`
 * schema), and error bodies against `ErrorResponse` (the spec declares only the 200s).
 * What is not: headers and query parameters; OpenAPI-only keywords (`discriminator`, `example`,
 * `x-*`) are ignored; formats ajv-formats does not know (`unixtime`, `float`) are not checked;
 * base64 embeddings, which the spec does not describe (it types `embedding` as a float array), are
 * checked in their float form before encoding.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import * as ajvFormats from "ajv-formats";

export interface SpecValidator {
  /** Problems with a request body for `POST /v1/...`; empty when valid. */
  checkRequest(path: string, body: unknown): string[];
  /** Problems with a response body; `contentType` picks the JSON or event-stream schema. */
  checkResponse(path: string, status: number, body: unknown, contentType?: string): string[];
}

const DEFAULT_SPEC = fileURLToPath(
  new URL("../../../../../shared/specs/openai.openapi.json", import.meta.url),
);

const loaded = new Map<string, SpecValidator | undefined>();

/** The validator for the spec file, or undefined (with one warning per process) when it is absent. */
export function loadSpecValidator(specPath?: string): SpecValidator | undefined {
  const path = specPath ?? process.env.OPENAI_SPEC ?? DEFAULT_SPEC;
  if (!loaded.has(path)) loaded.set(path, createValidator(path));
  return loaded.get(path);
}

type OpenAPIDoc = {
  paths: Record<string, Record<string, OpenAPIOperation>>;
  components: unknown;
};
type OpenAPIOperation = {
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};

function createValidator(path: string): SpecValidator | undefined {
  if (!existsSync(path)) {
    console.warn(
      `openai stand-in: ${path} not found; request/response validation against the OpenAPI spec is skipped`,
    );
    return undefined;
  }
  const doc = JSON.parse(readFileSync(path, "utf8"), rewriteNullable) as OpenAPIDoc;
  // strict: false lets OpenAPI's extra keywords and unknown formats through (see the header).
  const ajv = new Ajv2020({
    strict: false,
    allErrors: false,
    validateSchema: false,
    logger: false,
  });
  addFormats(ajv);
  // Only the components go in: the spec's `#/components/...` refs resolve against this root.
  ajv.addSchema({ $id: "openai", components: doc.components });

  const compiled = new Map<string, ValidateFunction>();
  const schemaFor = (ref: string) => {
    let validate = compiled.get(ref);
    if (!validate) {
      validate = ajv.getSchema(`openai${ref}`);
      if (!validate) throw new Error(`${path}: cannot resolve ${ref}`);
      compiled.set(ref, validate);
    }
    return validate;
  };
  const check = (ref: string | undefined, body: unknown, what: string): string[] => {
    if (!ref) return [`${what}: the spec describes no schema for it`];
    const validate = schemaFor(ref);
    if (validate(body)) return [];
    return [
      `${what} does not match ${ref.replace("#/components/schemas/", "")}: ${ajv.errorsText(validate.errors)}`,
    ];
  };
  const operation = (apiPath: string, method: string) =>
    doc.paths[apiPath.replace(/^\/v1/, "")]?.[method];

  return {
    checkRequest(apiPath, body) {
      const op = operation(apiPath, "post");
      return check(
        op?.requestBody?.content?.["application/json"]?.schema?.$ref,
        body,
        `request to POST ${apiPath}`,
      );
    },
    checkResponse(apiPath, status, body, contentType = "application/json") {
      const what = `${status} response of ${apiPath}${contentType === "application/json" ? "" : ` (${contentType})`}`;
      if (status >= 400) return check("#/components/schemas/ErrorResponse", body, what);
      const op = operation(apiPath, apiPath.endsWith("/models") ? "get" : "post");
      return check(
        op?.responses?.[String(status)]?.content?.[contentType]?.schema?.$ref,
        body,
        what,
      );
    },
  };
}

type FormatsPlugin = (ajv: Ajv2020) => unknown;

/** ajv-formats is CommonJS; Node's ESM loader and vitest wrap its default export differently. */
function addFormats(ajv: Ajv2020): void {
  const mod = ajvFormats as unknown as { default: FormatsPlugin | { default: FormatsPlugin } };
  const plugin = typeof mod.default === "function" ? mod.default : mod.default.default;
  plugin(ajv);
}

/**
 * OpenAPI 3.0's `nullable` survives in ~110 places of this 3.1 document. ajv's own reading
 * rejects it without a `type` and still applies `enum` to null (so a streamed chunk's
 * `finish_reason: null` would fail); read it as the API behaves: the schema, or null.
 */
function rewriteNullable(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "nullable" in value) {
    const { nullable, ...rest } = value as Record<string, unknown>;
    return nullable === true ? { anyOf: [rest, { type: "null" }] } : rest;
  }
  return value;
}
