'use strict';
/** An origin whose mail configuration has no templates (run.ts adds it): mails for it answer 500 UNABLE_TO_FIND_MAIL_TEMPLATE. */
const ORIGIN_WITHOUT_TEMPLATES = 'https://no-templates.example.com';

module.exports = { ORIGIN_WITHOUT_TEMPLATES };
