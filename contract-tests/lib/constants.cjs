'use strict';
/** An origin whose mail configuration has no templates (run.ts adds it): mails for it answer 500 UNABLE_TO_FIND_MAIL_TEMPLATE. */
const ORIGIN_WITHOUT_TEMPLATES = 'https://no-templates.example.com';

/** The METRICS_TOKEN run.ts gives the service: GET /metrics answers 200 with it, 401 without. */
const METRICS_TOKEN = 'contract-tests-metrics-token-0123456789';

module.exports = { ORIGIN_WITHOUT_TEMPLATES, METRICS_TOKEN };
