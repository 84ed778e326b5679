import type { GetTwoFaData, GetTwoFaResponses } from '../../generated/types.gen.js';
import { ok, type Handler } from '../http/handler.js';
import { getTwoFaStatusForCaller } from './service.js';

const getTwoFa: Handler<GetTwoFaData, GetTwoFaResponses> = async ({ auth, deps }) => ok(await getTwoFaStatusForCaller(deps.db, auth, new Date(deps.clock.now())));

export const twoFactorHandlers = { getTwoFa };
