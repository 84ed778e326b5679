// Types for spec.cjs, so the TypeScript tests share the Dredd hooks' view of openapi.yaml.
import type Ajv from 'ajv';

type Json = any;

export interface SpecOperation {
  operationId: string;
  method: string;
  path: string;
  operation: Json;
}

export interface SpecExample {
  /** JSON path of the example in openapi.yaml, e.g. `#/components/responses/NullOk/content/application~1json/example`. */
  where: string;
  /** The dereferenced OpenAPI 3.0 schema the example must satisfy. */
  schema: Json;
  value: unknown;
}

export declare const SPEC_PATH: string;
export declare function loadSpec(path?: string): Json;
export declare function deref(doc: Json, node?: Json): Json;
export declare function resolvePointer(doc: Json, ref: string): Json;
export declare function createAjv(): Ajv;
export declare function toDraft07(schema: Json): Json;
export declare function listOperations(spec: Json): SpecOperation[];
export declare function findOperation(spec: Json, method: string, uri: string): SpecOperation | undefined;
export declare function mediaTypeOf(contentType: string | undefined | null): string;
export declare function isJsonMediaType(mediaType: string): boolean;
export declare function collectExamples(raw: Json): SpecExample[];
