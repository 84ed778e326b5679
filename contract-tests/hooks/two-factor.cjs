'use strict';
// GET /user/2fa (contract: User group #1).
const { contract } = require('../lib/kit.cjs');

const c = contract(require('hooks'));

c.setup('getTwoFa', 200, async (t, fx) => t.bearer((await fx.totpUser()).accessToken));
c.setup('getTwoFa', 401, (t) => t.noAuth());
