import type {
  PostForgotPasswordData, PostForgotPasswordResponses, SendPasswordResetData, SendPasswordResetResponses, UpdatePasswordViaOtpData,
  UpdatePasswordViaOtpResponses, UpdatePasswordViaSudoData, UpdatePasswordViaSudoResponses, ValidatePasswordResetData,
  ValidatePasswordResetResponses,
} from '../../generated/types.gen.js';
import { okNull, type Handler, type PublicHandler } from '../http/handler.js';
import { mailChoice } from '../mail/index.js';
import { hashPermitOf } from '../http/hash-admission.js';
import { changePassword } from './change.js';
import { resetPassword, sendResetMail, validateResetCode } from './reset.js';

const sendPasswordReset: PublicHandler<SendPasswordResetData, SendPasswordResetResponses> = async ({ body, query, deps }) => {
  await sendResetMail(deps, 'code', { email: body.email, ...mailChoice(query) });
  return okNull();
};

const postForgotPassword: PublicHandler<PostForgotPasswordData, PostForgotPasswordResponses> = async ({ body, query, deps }) => {
  await sendResetMail(deps, 'link', { email: body.email, ...mailChoice(query) });
  return okNull();
};

const validatePasswordReset: PublicHandler<ValidatePasswordResetData, ValidatePasswordResetResponses> = async ({ body, deps }) => {
  await validateResetCode(deps, body.email, body.otp);
  return okNull();
};

const updatePasswordViaOtp: PublicHandler<UpdatePasswordViaOtpData, UpdatePasswordViaOtpResponses> = async (ctx) => {
  const { body, deps } = ctx;
  await resetPassword(deps, hashPermitOf(ctx), body.userEmail, body.otp, body.newPassword);
  return okNull();
};

const updatePasswordViaSudo: Handler<UpdatePasswordViaSudoData, UpdatePasswordViaSudoResponses> = async (ctx) => {
  const { body, auth, deps } = ctx;
  await changePassword(deps, hashPermitOf(ctx), auth.userId, body.oldPassword, body.newPassword);
  return okNull();
};

export const passwordHandlers = { sendPasswordReset, postForgotPassword, validatePasswordReset, updatePasswordViaOtp, updatePasswordViaSudo };
