import type { RequestHandler } from 'express';

/** API answers carry tokens and account data: never cached, never content-sniffed. */
export const apiResponseHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
};
