import type { GetTwoFaData, GetTwoFaResponses } from '../../generated/types.gen.js';
import { ok, type Handler } from '../http/handler.js';
import { getTwoFaStatus } from './service.js';

const getTwoFa: Handler<GetTwoFaData, GetTwoFaResponses> = async ({ auth, deps }) => ok(await getTwoFaStatus(deps.db, auth.userId));

export const twoFactorHandlers = { getTwoFa };
