import type {
  CompleteWebauthnData, CompleteWebauthnResponses, InitiatePasskeyLoginData, InitiatePasskeyLoginResponses, InitiateWebauthnAuthenticationData,
  InitiateWebauthnAuthenticationResponses, InitiateWebauthnData, InitiateWebauthnResponses, ListWebauthnCredentialsData, ListWebauthnCredentialsResponses,
  PasskeyLoginData, PasskeyLoginResponses, RemoveWebauthnCredentialData, RemoveWebauthnCredentialResponses, VerifyWebauthnData, VerifyWebauthnResponses,
} from '../../generated/types.gen.js';
import { ok, okNull, type Handler, type PublicHandler } from '../http/handler.js';
import { sessionTokensReply } from '../tokens/cookie-mode.js';
import * as webauthn from './service.js';

const initiateWebauthn: Handler<InitiateWebauthnData, InitiateWebauthnResponses> = async ({ auth, deps }) =>
  ok({ options: await webauthn.initiateWebauthn(deps, auth.userId) });

const completeWebauthn: Handler<CompleteWebauthnData, CompleteWebauthnResponses> = async ({ auth, body, deps }) =>
  ok({ recoveryCodes: await webauthn.completeWebauthn(deps, auth.userId, body.credential, body.name) });

const initiateWebauthnAuthentication: Handler<InitiateWebauthnAuthenticationData, InitiateWebauthnAuthenticationResponses> = async ({ auth, deps }) =>
  ok({ options: await webauthn.initiateWebauthnAuthentication(deps, auth.userId) });

const verifyWebauthn: Handler<VerifyWebauthnData, VerifyWebauthnResponses> = async ({ auth, body, query, deps }) =>
  sessionTokensReply(deps, query, await webauthn.verifyWebauthn(deps, auth, body.credential));

const listWebauthnCredentials: Handler<ListWebauthnCredentialsData, ListWebauthnCredentialsResponses> = async ({ auth, deps }) =>
  ok(await webauthn.listWebauthnCredentials(deps, auth.userId));

const removeWebauthnCredential: Handler<RemoveWebauthnCredentialData, RemoveWebauthnCredentialResponses> = async ({ auth, path, deps }) => {
  await webauthn.removeWebauthnCredential(deps, auth.userId, path.id);
  return okNull();
};

const initiatePasskeyLogin: PublicHandler<InitiatePasskeyLoginData, InitiatePasskeyLoginResponses> = async ({ deps }) =>
  ok({ options: await webauthn.initiatePasskeyLogin(deps) });

const passkeyLogin: PublicHandler<PasskeyLoginData, PasskeyLoginResponses> = async ({ body, query, deps }) =>
  sessionTokensReply(deps, query, await webauthn.passkeyLogin(deps, body.credential));

export const webauthnHandlers = {
  initiateWebauthn, completeWebauthn, initiateWebauthnAuthentication, verifyWebauthn, listWebauthnCredentials, removeWebauthnCredential,
  initiatePasskeyLogin, passkeyLogin,
};
