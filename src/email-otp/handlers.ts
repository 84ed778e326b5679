import type {
  CompleteEmailOtpData, CompleteEmailOtpResponses, InitiateEmailOtpAuthenticationData, InitiateEmailOtpAuthenticationResponses,
  InitiateEmailOtpData, InitiateEmailOtpResponses, NewEmailOtpWaitDurationData, NewEmailOtpWaitDurationResponses, RemoveEmailOtpData,
  RemoveEmailOtpResponses, VerifyEmailOtpAuthenticationData, VerifyEmailOtpAuthenticationResponses,
} from '../../generated/types.gen.js';
import { ok, okNull, type Handler } from '../http/handler.js';
import { sessionTokensReply } from '../tokens/cookie-mode.js';
import { mailChoice } from '../mail/index.js';
import * as emailOtp from './service.js';

const initiateEmailOtp: Handler<InitiateEmailOtpData, InitiateEmailOtpResponses> = async ({ body, query, auth, deps }) => {
  await emailOtp.initiateEmailOtp(deps, auth, body.email, mailChoice(query));
  return okNull();
};

const completeEmailOtp: Handler<CompleteEmailOtpData, CompleteEmailOtpResponses> = async ({ body, auth, deps }) =>
  ok({ recoveryCodes: await emailOtp.completeEmailOtp(deps, auth.userId, body.otp) });

const initiateEmailOtpAuthentication: Handler<InitiateEmailOtpAuthenticationData, InitiateEmailOtpAuthenticationResponses> = async ({ query, auth, deps }) => {
  await emailOtp.initiateEmailOtpAuthentication(deps, auth.userId, mailChoice(query));
  return okNull();
};

const verifyEmailOtpAuthentication: Handler<VerifyEmailOtpAuthenticationData, VerifyEmailOtpAuthenticationResponses> = async ({ auth, body, query, deps }) =>
  sessionTokensReply(deps, query, await emailOtp.verifyEmailOtpAuthentication(deps, auth, body.otp));

const newEmailOtpWaitDuration: Handler<NewEmailOtpWaitDurationData, NewEmailOtpWaitDurationResponses> = async ({ auth, deps }) =>
  ok({ duration: await emailOtp.newEmailOtpWaitDuration(deps, auth.userId) });

const removeEmailOtp: Handler<RemoveEmailOtpData, RemoveEmailOtpResponses> = async ({ auth, deps }) => {
  await emailOtp.removeEmailOtp(deps, auth.userId);
  return okNull();
};

export const emailOtpHandlers = {
  initiateEmailOtp,
  completeEmailOtp,
  initiateEmailOtpAuthentication,
  verifyEmailOtpAuthentication,
  newEmailOtpWaitDuration,
  removeEmailOtp,
};
