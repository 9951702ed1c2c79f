/**
 * GitHub's own OpenAPI description as the referee between our code and the stand-in.
 *
 * Parsing the 13 MB description and compiling its schemas with ajv costs about 2.5 s, too much to
 * pay in every test file. So it is done once (vitest globalSetup, test/support/global-setup.ts) and cached
 * under `node_modules/.cache/promptgate/`, keyed by the `@octokit/openapi` version, the ajv
 * version, the served operations and this file's content:
 *   - `github-openapi-<key>.json`: each served operation's parameters and, per status, the name
 *     of its validator;
 *   - `github-openapi-<key>.validators.mjs`: ajv's standalone code for every request and response
 *     schema (OpenAPI 3.0's `nullable` rewritten as JSON Schema first).
 * A test file then pays one JSON parse and one module import (about 0.15 s). Without the global
 * setup (a benchmark run with tsx), the first load builds the cache itself.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import * as ajvStandalone from "ajv/dist/standalone/index.js";
import * as ajvFormats from "ajv-formats";
import { type OperationKey, SERVED_OPERATIONS } from "./operations.js";

/** Set by test/support/global-setup.ts to the prepared description's JSON file. */
export const SPEC_PATH_ENV = "PROMPTGATE_GITHUB_OPENAPI";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface PreparedParameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  type: string | undefined;
  enum: string[] | undefined;
}

export interface PreparedOperation {
  operationId: string;
  parameters: PreparedParameter[];
  /** The validator's export name, when the operation takes a JSON body. */
  requestBody?: { required: boolean; validator: string };
  /** Status → validator export name, or null when that status has no body. */
  responses: Record<string, string | null>;
}

export interface PreparedSpec {
  source: string;
  /** File name of the validators module, beside this JSON. */
  validators: string;
  operations: Record<string, PreparedOperation>;
}

type ValidateFn = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

const DEFS_ID = "github";
const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  return String(JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version);
}

function fullSpecPath(): string {
  return require.resolve("@octokit/openapi/generated/api.github.com.json");
}

/** Where the prepared description of these versions and this builder lives. */
export function preparedSpecPath(): string {
  const full = fullSpecPath();
  const marker = `${sep}node_modules${sep}`;
  const nodeModules = full.slice(0, full.lastIndexOf(marker) + marker.length - 1);
  const key = createHash("sha256")
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(SERVED_OPERATIONS.join("\n"))
    .update(packageVersion("ajv"))
    .digest("hex")
    .slice(0, 12);
  const version = packageVersion("@octokit/openapi");
  return join(nodeModules, ".cache", "promptgate", `github-openapi-${version}-${key}.json`);
}

/** The prepared description's path: from the env var, from the cache, or built now (~2.5 s). */
export function prepareGitHubSpec(): string {
  const fromEnv = process.env[SPEC_PATH_ENV];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const target = preparedSpecPath();
  if (!existsSync(target)) buildPreparedSpec(target);
  return target;
}

function writeAtomically(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

function newAjv(source: boolean): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    logger: false,
    code: source ? { source: true, esm: true } : {},
  });
  (ajvFormats as unknown as { default: (ajv: Ajv) => Ajv }).default(ajv);
  // GitHub sends "" for unset URLs its schemas mark `format: uri` (deployment statuses' log_url,
  // environment_url), so the empty string passes; anything else must be a real URI.
  ajv.addFormat("uri", /^(?:$|[a-z][a-z0-9+.-]*:[^\s]*$)/i);
  return ajv;
}

export function buildPreparedSpec(target = preparedSpecPath()): void {
  const full = JSON.parse(readFileSync(fullSpecPath(), "utf8")) as JsonObject;
  const { operations, schemas, defs } = cutSpec(full);
  const ajv = newAjv(true);
  for (const format of collectFormats(defs, schemas)) {
    if (!ajv.formats[format]) ajv.addFormat(format, true);
  }
  ajv.addSchema({ $id: DEFS_ID, $defs: defs });
  const exports: Record<string, string> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    ajv.addSchema({ ...(schema as JsonObject), $id: name });
    exports[name] = name;
  }
  const standaloneCode = (
    ajvStandalone as unknown as { default: (ajv: Ajv, refs: Record<string, string>) => string }
  ).default;
  // ajv's ESM output still calls require() for its runtime helpers and formats.
  const code = `import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n${standaloneCode(ajv, exports)}`;
  mkdirSync(dirname(target), { recursive: true });
  const validators = target.replace(/\.json$/, ".validators.mjs");
  writeAtomically(validators, code);
  const prepared: PreparedSpec = {
    source: `@octokit/openapi@${packageVersion("@octokit/openapi")} generated/api.github.com.json`,
    validators: basename(validators),
    operations,
  };
  writeAtomically(target, JSON.stringify(prepared));
}

function cutSpec(full: JsonObject): {
  operations: Record<string, PreparedOperation>;
  schemas: Record<string, Json>;
  defs: Record<string, Json>;
} {
  const paths = full.paths as Record<string, Record<string, JsonObject>>;
  const components = full.components as Record<string, Record<string, Json>>;
  const componentSchemas = components.schemas as Record<string, Json>;
  const wanted = new Set<string>();
  const schemas: Record<string, Json> = {};

  const resolve = (node: Json): JsonObject => {
    let current = node as JsonObject;
    while (typeof current.$ref === "string") {
      const [, , group, name] = current.$ref.split("/");
      current = components[group as string]?.[name as string] as JsonObject;
    }
    return current;
  };
  const jsonSchemaOf = (content: Json | undefined): Json | undefined => {
    if (!content || typeof content !== "object" || Array.isArray(content)) return undefined;
    const entry = Object.entries(content).find(([type]) => type.includes("json"));
    const schema = (entry?.[1] as JsonObject | undefined)?.schema;
    return schema === undefined ? undefined : toJsonSchema(schema, wanted);
  };

  const operations: Record<string, PreparedOperation> = {};
  SERVED_OPERATIONS.forEach((key, index) => {
    const [method, template] = key.split(" ") as [string, string];
    const op = paths[template]?.[method.toLowerCase()];
    if (!op) throw new Error(`@octokit/openapi has no operation ${key}`);
    const parameters = ((op.parameters ?? []) as Json[]).map((p) => {
      const param = resolve(p);
      const schema = resolve(param.schema ?? {});
      return {
        name: String(param.name),
        in: param.in as PreparedParameter["in"],
        required: param.required === true,
        type: typeof schema.type === "string" ? schema.type : undefined,
        enum: Array.isArray(schema.enum) ? schema.enum.map(String) : undefined,
      };
    });
    const responses: Record<string, string | null> = {};
    for (const [status, response] of Object.entries(op.responses as JsonObject)) {
      const schema = jsonSchemaOf(resolve(response).content);
      if (schema === undefined) {
        responses[status] = null;
      } else {
        const name = `op${index}_${status}`;
        schemas[name] = schema;
        responses[status] = name;
      }
    }
    const prepared: PreparedOperation = {
      operationId: String(op.operationId),
      parameters,
      responses,
    };
    if (op.requestBody) {
      const body = resolve(op.requestBody);
      const schema = jsonSchemaOf(body.content);
      if (schema !== undefined) {
        const name = `op${index}_request`;
        schemas[name] = schema;
        prepared.requestBody = { required: body.required === true, validator: name };
      }
    }
    operations[key] = prepared;
  });

  const defs: Record<string, Json> = {};
  const pending = [...wanted];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (name in defs) continue;
    const before = new Set(wanted);
    defs[name] = toJsonSchema(componentSchemas[name] as Json, wanted);
    for (const added of wanted) if (!before.has(added)) pending.push(added);
  }
  return { operations, schemas, defs };
}

const DROPPED = new Set([
  "description",
  "title",
  "example",
  "examples",
  "externalDocs",
  "discriminator",
  "xml",
  "readOnly",
  "writeOnly",
  "deprecated",
]);

/** OpenAPI 3.0 schema → JSON Schema (draft-07) that ajv reads the way GitHub means it. */
function toJsonSchema(node: Json, wanted: Set<string>): Json {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key) || key.startsWith("x-") || key === "nullable") continue;
    if (key === "$ref" && typeof value === "string") {
      const name = value.replace("#/components/schemas/", "");
      wanted.add(name);
      out.$ref = `${DEFS_ID}#/$defs/${name}`;
    } else if (key === "properties" || key === "patternProperties") {
      out[key] = Object.fromEntries(
        Object.entries(value as JsonObject).map(([k, v]) => [k, toJsonSchema(v, wanted)]),
      );
    } else if (key === "oneOf") {
      // GitHub's oneOf branches often overlap (basic-error vs repository-rule-violation-error
      // both accept any error body), so a real GitHub answer would fail "exactly one".
      out.anyOf = (value as Json[]).map((v) => toJsonSchema(v, wanted));
    } else if (key === "allOf" || key === "anyOf") {
      out[key] = (value as Json[]).map((v) => toJsonSchema(v, wanted));
    } else if (key === "items" || key === "not" || key === "additionalProperties") {
      out[key] = Array.isArray(value)
        ? value.map((v) => toJsonSchema(v, wanted))
        : toJsonSchema(value, wanted);
    } else {
      out[key] = value;
    }
  }
  if (node.nullable !== true) return out;
  const combined = "$ref" in out || "allOf" in out || "anyOf" in out || "oneOf" in out;
  if (!combined && typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: "null" }, out] };
}

function collectFormats(...roots: unknown[]): Set<string> {
  const formats = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "format" && typeof value === "string") formats.add(value);
        else walk(value);
      }
    }
  };
  roots.forEach(walk);
  return formats;
}

/** Checks requests and responses against the prepared description; returns violations as text. */
export class SpecValidator {
  constructor(
    readonly spec: PreparedSpec,
    private readonly validators: Record<string, ValidateFn>,
  ) {}

  checkRequest(
    key: OperationKey,
    request: { params: Record<string, string>; query: URLSearchParams; body: unknown },
  ): string[] {
    const op = this.spec.operations[key];
    if (!op) return [`${key}: not in the prepared description`];
    const problems: string[] = [];
    const known = new Set<string>();
    for (const param of op.parameters) {
      if (param.in === "path") {
        const value = request.params[param.name];
        if (value !== undefined) problems.push(...checkScalar(param, value));
      } else if (param.in === "query") {
        known.add(param.name);
        const value = request.query.get(param.name);
        if (value === null) {
          if (param.required) problems.push(`query parameter ${param.name} is required`);
        } else {
          problems.push(...checkScalar(param, value));
        }
      }
    }
    for (const name of new Set(request.query.keys())) {
      if (!known.has(name)) problems.push(`query parameter ${name} is not defined`);
    }
    const hasBody = request.body !== undefined;
    if (op.requestBody) {
      if (!hasBody) {
        if (op.requestBody.required) problems.push("request body is required");
      } else {
        problems.push(...this.run(op.requestBody.validator, request.body));
      }
    } else if (hasBody) {
      problems.push("request has a body but the operation takes none");
    }
    return problems.map((p) => `${key} (${op.operationId}) request: ${p}`);
  }

  documents(key: OperationKey, status: number): boolean {
    return String(status) in (this.spec.operations[key]?.responses ?? {});
  }

  checkResponse(key: OperationKey, status: number, body: unknown): string[] {
    const op = this.spec.operations[key];
    if (!op) return [`${key}: not in the prepared description`];
    const label = `${key} (${op.operationId}) response ${status}`;
    if (!(String(status) in op.responses)) return [`${label}: status is not documented`];
    const validator = op.responses[String(status)];
    if (validator === null || validator === undefined) {
      // Errors documented without content still carry GitHub's {message, documentation_url}.
      if (body === undefined || status >= 400) return [];
      return [`${label}: documented without a body, but one was sent`];
    }
    if (body === undefined) return [`${label}: documented with a body, but none was sent`];
    return this.run(validator, body).map((p) => `${label}: ${p}`);
  }

  private run(name: string, value: unknown): string[] {
    const validate = this.validators[name];
    if (!validate) return [`no validator ${name}`];
    if (validate(value)) return [];
    return describeErrors(validate.errors ?? []);
  }
}

function checkScalar(param: PreparedParameter, value: string): string[] {
  const where = `${param.in} parameter ${param.name}=${JSON.stringify(value)}`;
  if (param.type === "integer" && !/^-?\d+$/.test(value)) return [`${where} is not an integer`];
  if (param.type === "boolean" && value !== "true" && value !== "false") {
    return [`${where} is not a boolean`];
  }
  if (param.enum && !param.enum.includes(value)) {
    return [`${where} is not one of ${param.enum.join(", ")}`];
  }
  return [];
}

/** oneOf/anyOf failures list every branch's complaint; keep the text short and specific. */
function describeErrors(errors: ErrorObject[]): string[] {
  const lines = errors.map((e) => {
    const params = e.params as Record<string, unknown>;
    const detail =
      "allowedValues" in params
        ? ` (${JSON.stringify(params.allowedValues)})`
        : "additionalProperty" in params
          ? ` (${String(params.additionalProperty)})`
          : "";
    return `${e.instancePath || "/"} ${e.message ?? e.keyword}${detail}`;
  });
  const unique = [...new Set(lines)];
  return unique.length > 8 ? [...unique.slice(0, 8), `… and ${unique.length - 8} more`] : unique;
}

let loading: Promise<SpecValidator> | undefined;

/** One validator per process: the prepared description read once, its validators imported. */
export function loadSpecValidator(): Promise<SpecValidator> {
  loading ??= (async () => {
    const path = prepareGitHubSpec();
    const spec = JSON.parse(readFileSync(path, "utf8")) as PreparedSpec;
    const module = (await import(
      pathToFileURL(join(dirname(path), spec.validators)).href
    )) as Record<string, ValidateFn>;
    return new SpecValidator(spec, module);
  })();
  return loading;
}
