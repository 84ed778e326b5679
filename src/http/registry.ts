import { emailOtpHandlers } from '../email-otp/handlers.js';
import { emailTransferHandlers } from '../email-transfer/handlers.js';
import { opsHandlers } from '../ops/handlers.js';
import { passwordHandlers } from '../password/handlers.js';
import { recoveryCodeHandlers } from '../recovery-codes/handlers.js';
import { securityEventHandlers } from '../security-events/handlers.js';
import { sessionHandlers } from '../sessions/handlers.js';
import { tokenHandlers } from '../tokens/handlers.js';
import { totpHandlers } from '../totp/handlers.js';
import { twoFactorHandlers } from '../two-factor/handlers.js';
import { webauthnHandlers } from '../webauthn/handlers.js';
import type { OperationId } from './operation-id.js';

export type { OperationId };

export type AnyHandler = (ctx: never) => Promise<unknown>;

/** operationId → handler: an operation of the spec without a handler fails the type check. */
export const handlers = {
  ...opsHandlers,
  ...tokenHandlers,
  ...passwordHandlers,
  ...twoFactorHandlers,
  ...totpHandlers,
  ...recoveryCodeHandlers,
  ...emailOtpHandlers,
  ...webauthnHandlers,
  ...emailTransferHandlers,
  ...sessionHandlers,
  ...securityEventHandlers,
} satisfies Record<OperationId, AnyHandler>;
