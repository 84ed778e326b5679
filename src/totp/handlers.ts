import type {
  CompleteTotpData, CompleteTotpResponses, InitiateTotpData, InitiateTotpResponses, RemoveTotpData, RemoveTotpResponses,
  TotpGuessWaitDurationData, TotpGuessWaitDurationResponses, VerifyTotpData, VerifyTotpResponses,
} from '../../generated/types.gen.js';
import { ok, okNull, type Handler } from '../http/handler.js';
import { sessionTokensReply } from '../tokens/cookie-mode.js';
import * as totp from './service.js';

const initiateTotp: Handler<InitiateTotpData, InitiateTotpResponses> = async ({ auth, deps }) => ok({ url: await totp.setupTotp(deps, auth) });

const completeTotp: Handler<CompleteTotpData, CompleteTotpResponses> = async ({ auth, body, deps }) =>
  ok({ recoveryCodes: await totp.enableTotp(deps, auth.userId, body.totp) });

const verifyTotp: Handler<VerifyTotpData, VerifyTotpResponses> = async ({ auth, body, query, deps }) =>
  sessionTokensReply(deps, query, await totp.authenticateTotp(deps, auth, body.totp));

const totpGuessWaitDuration: Handler<TotpGuessWaitDurationData, TotpGuessWaitDurationResponses> = async ({ auth, deps }) =>
  ok({ duration: await totp.totpWaitSeconds(deps, auth.userId) });

const removeTotp: Handler<RemoveTotpData, RemoveTotpResponses> = async ({ auth, deps }) => {
  await totp.removeTotp(deps, auth.userId);
  return okNull();
};

export const totpHandlers = { initiateTotp, completeTotp, verifyTotp, totpGuessWaitDuration, removeTotp };
