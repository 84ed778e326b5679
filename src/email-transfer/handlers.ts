import type { InitiatePutEmailData, InitiatePutEmailResponses, PutEmailData, PutEmailResponses } from '../../generated/types.gen.js';
import { okNull, type Handler } from '../http/handler.js';
import { mailChoice } from '../mail/index.js';
import * as emailTransfer from './service.js';

const initiatePutEmail: Handler<InitiatePutEmailData, InitiatePutEmailResponses> = async ({ body, query, auth, deps }) => {
  await emailTransfer.initiatePutEmail(deps, auth.userId, body.email, mailChoice(query));
  return okNull();
};

const putEmail: Handler<PutEmailData, PutEmailResponses> = async ({ body, auth, deps }) => {
  await emailTransfer.putEmail(deps, auth.userId, body.otp);
  return okNull();
};

export const emailTransferHandlers = { initiatePutEmail, putEmail };
