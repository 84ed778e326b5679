import type {
  GetAccessTokenData, GetAccessTokenResponses, GetRefreshTokenData, GetRefreshTokenResponses, LoginData, LoginResponses,
  LogoutData, LogoutResponses, ValidateAccessTokenData, ValidateAccessTokenResponses, ValidateRefreshTokenData,
  ValidateRefreshTokenResponses,
} from '../../generated/types.gen.js';
import { noContent, ok, okText, type Handler, type PublicHandler } from '../http/handler.js';
import { hashPermitOf } from '../http/hash-admission.js';
import { refreshTokenReply } from './cookie-mode.js';
import { clearedRefreshCookie } from './refresh-cookie.js';
import * as tokens from './service.js';

const login: PublicHandler<LoginData, LoginResponses> = async (ctx) =>
  refreshTokenReply(ctx.deps, ctx.query, await tokens.login(ctx.deps, hashPermitOf(ctx), ctx.body.username, ctx.body.password));

const getAccessToken: Handler<GetAccessTokenData, GetAccessTokenResponses> = async ({ auth, deps }) =>
  okText(await tokens.issueJwtOffLoop(deps, auth, 'access'));

// A token that came in the cookie is rotated into the cookie: it was never readable, its successor must not be either.
const getRefreshToken: Handler<GetRefreshTokenData, GetRefreshTokenResponses> = async ({ auth, query, deps }) =>
  refreshTokenReply(deps, { cookie: query?.cookie || auth.viaCookie }, await tokens.rotateRefreshToken(deps, auth.refreshTokenHash!));

const logout: Handler<LogoutData, LogoutResponses> = async ({ auth, deps }) => {
  await tokens.logout(deps, auth.refreshTokenHash!);
  return auth.viaCookie ? { ...noContent(), headers: { 'Set-Cookie': clearedRefreshCookie(deps.config) } } : noContent();
};

const validateRefreshToken: Handler<ValidateRefreshTokenData, ValidateRefreshTokenResponses> = async ({ auth }) => ok({ userId: auth.userId });

const validateAccessToken: Handler<ValidateAccessTokenData, ValidateAccessTokenResponses> = async ({ auth }) => ok({ userId: auth.userId });

export const tokenHandlers = { login, getAccessToken, getRefreshToken, logout, validateRefreshToken, validateAccessToken };
