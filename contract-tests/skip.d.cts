/** "operationId" or "operationId status" → the one-line reason that transaction is not run. */
declare const skip: Record<string, string>;
export = skip;
