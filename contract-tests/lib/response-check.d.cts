import type Ajv from 'ajv';

/** The parts of a Dredd transaction the check reads and adjusts. */
export interface DreddTransaction {
  request: { method: string; uri: string; headers: Record<string, string>; body: string };
  expected: { statusCode: string | number; headers: Record<string, string>; body?: string; bodySchema?: unknown };
  real: { statusCode: number; headers: Record<string, string>; body: string };
}

export declare function checkTransaction(transaction: DreddTransaction, context: { spec: any; ajv: Ajv }): string[];
