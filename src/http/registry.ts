import type * as sdk from '../../generated/sdk.gen.js';
import { emailOtpHandlers } from '../email-otp/handlers.js';
import { emailTransferHandlers } from '../email-transfer/handlers.js';
import { opsHandlers } from '../ops/handlers.js';
import { passwordHandlers } from '../password/handlers.js';
import { recoveryCodeHandlers } from '../recovery-codes/handlers.js';
import { tokenHandlers } from '../tokens/handlers.js';
import { totpHandlers } from '../totp/handlers.js';
import { twoFactorHandlers } from '../two-factor/handlers.js';

/** Every operationId in openapi.yaml (the generated SDK has one function per operation). */
export type OperationId = keyof typeof sdk;

export type AnyHandler = (ctx: never) => Promise<unknown>;

/**
 * operationId → handler. Operations not in this map answer 501 NOT_IMPLEMENTED until their
 * capability lands (test/operations.test.ts lists them); then this becomes a full Record.
 */
export const handlers = {
  ...opsHandlers,
  ...tokenHandlers,
  ...passwordHandlers,
  ...twoFactorHandlers,
  ...totpHandlers,
  ...recoveryCodeHandlers,
  ...emailOtpHandlers,
  ...emailTransferHandlers,
} satisfies Partial<Record<OperationId, AnyHandler>>;
