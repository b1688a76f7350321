'use strict';
// Starts the stand-ins a config asks for, sharing one clock and one principal store.
// config: {accountId, partition, clockOffsetSeconds, users, roles, sts, imds, containerCredentials}
// (README.md has the shape). Resolves {stsUrl, imdsUrl, containerCredentialsUrl, principals, clock,
// sts, imds, containerCredentials, close}.

const { Clock } = require('./clock');
const { Principals } = require('./principals');
const { startSts } = require('./sts');
const { startImds } = require('./imds');
const { startContainerCredentials } = require('./container-credentials');

async function startAwsSim(config) {
  const clock = new Clock(config.clockOffsetSeconds || 0);
  const principals = new Principals({ accountId: config.accountId, partition: config.partition, users: config.users,
                                      roles: config.roles, clock });
  const started = [];
  const out = { clock, principals, stsUrl: null, imdsUrl: null, containerCredentialsUrl: null };
  try {
    if (config.sts) {
      out.sts = await startSts({ ...config.sts, principals, clock });
      started.push(out.sts);
      out.stsUrl = out.sts.url;
    }
    if (config.imds) {
      out.imds = await startImds({ ...config.imds, principals, clock });
      started.push(out.imds);
      out.imdsUrl = out.imds.url;
    }
    if (config.containerCredentials) {
      out.containerCredentials = await startContainerCredentials({ ...config.containerCredentials, principals, clock });
      started.push(out.containerCredentials);
      out.containerCredentialsUrl = out.containerCredentials.url;
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.close()));
    throw e;
  }
  out.close = () => Promise.all(started.map((s) => s.close()));
  return out;
}

module.exports = { startAwsSim };
