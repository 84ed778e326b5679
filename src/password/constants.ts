import type { CodePurpose } from '../one-time-codes/constants.js';

/** One purpose for both reset mails: a code from either completes PUT /user/password/otp. */
export const RESET_PURPOSE: CodePurpose = 'password_reset';

/** Contract #22: the mail's link is `<configuration's link base>/reset-password?email=…&otp=…`. */
export const RESET_LINK_PATH = '/reset-password';
