import type {
  RecoveryCodeGuessWaitDurationData, RecoveryCodeGuessWaitDurationResponses, ResetRecoveryCodesData, ResetRecoveryCodesResponses,
  VerifyRecoveryCodesData, VerifyRecoveryCodesResponses,
} from '../../generated/types.gen.js';
import { ok, type Handler } from '../http/handler.js';
import { sessionTokensReply } from '../tokens/cookie-mode.js';
import * as recovery from './service.js';

const verifyRecoveryCodes: Handler<VerifyRecoveryCodesData, VerifyRecoveryCodesResponses> = async ({ auth, body, query, deps }) =>
  sessionTokensReply(deps, query, await recovery.authenticateRecoveryCode(deps, auth, body.recoveryCode));

const resetRecoveryCodes: Handler<ResetRecoveryCodesData, ResetRecoveryCodesResponses> = async ({ auth, deps }) =>
  ok({ recoveryCodes: await recovery.resetRecoveryCodes(deps, auth.userId) });

const recoveryCodeGuessWaitDuration: Handler<RecoveryCodeGuessWaitDurationData, RecoveryCodeGuessWaitDurationResponses> = async ({ auth, deps }) =>
  ok({ duration: await recovery.recoveryCodeWaitSeconds(deps, auth.userId) });

export const recoveryCodeHandlers = { verifyRecoveryCodes, resetRecoveryCodes, recoveryCodeGuessWaitDuration };
