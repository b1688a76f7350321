'use strict';
// STS's input rules for AssumeRole and AssumeRoleWithWebIdentity (botocore's sts service model,
// 2011-06-15) and the ValidationError text STS writes when a member breaks one:
// "N validation error(s) detected: Value 'v' at 'member' failed to satisfy constraint: ...".

const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const POLICY_CHARS = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;
const ARN = /^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:[\w+=/,.@-]*:[0-9]*:[\w+=,.@-]+(\/[\w+=,.@-]+)*$/;

class Violations {
  constructor() {
    this.items = [];
  }

  check(ok, value, member, constraint) {
    if (!ok) this.items.push(`Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`);
  }

  length(value, member, min, max) {
    if (value === undefined || value === null) return;
    this.check(value.length >= min, value, member, `Member must have length greater than or equal to ${min}`);
    if (max) this.check(value.length <= max, value, member, `Member must have length less than or equal to ${max}`);
  }

  error() {
    if (this.items.length === 0) return null;
    const n = this.items.length;
    return { ok: false, status: 400, code: 'ValidationError',
             message: `${n} validation error${n > 1 ? 's' : ''} detected: ${this.items.join('; ')}` };
  }
}

function missing(name) {
  return { ok: false, status: 400, code: 'ValidationError', message: `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null` };
}

// awsQuery lists: Name.member.1, Name.member.2 ... (and for structures Name.member.N.Field).
function memberList(params, name, fields) {
  const out = [];
  for (let i = 1; ; i += 1) {
    const prefix = `${name}.member.${i}`;
    if (!fields) {
      if (!params.has(prefix)) break;
      out.push(params.get(prefix));
    } else {
      if (!fields.some((f) => params.has(`${prefix}.${f}`))) break;
      out.push(Object.fromEntries(fields.map((f) => [f, params.get(`${prefix}.${f}`)])));
    }
  }
  return out;
}

function checkCommon(v, p) {
  v.length(p.roleArn, 'roleArn', 20, 2048);
  v.length(p.roleSessionName, 'roleSessionName', 2, 64);
  v.check(SESSION_NAME.test(p.roleSessionName), p.roleSessionName, 'roleSessionName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  if (p.durationText !== null) {
    const d = Number(p.durationText);
    v.check(/^\d+$/.test(p.durationText) && d >= 900, p.durationText, 'durationSeconds', 'Member must have value greater than or equal to 900');
    v.check(!(d > 43200), p.durationText, 'durationSeconds', 'Member must have value less than or equal to 43200');
  }
  if (p.policy !== null) {
    v.length(p.policy, 'policy', 1, 2048);
    v.check(POLICY_CHARS.test(p.policy), p.policy, 'policy', 'Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+');
  }
  v.check(p.policyArns.length <= 10, '[...]', 'policyArns', 'Member must have length less than or equal to 10');
  p.policyArns.forEach((a, i) => v.check(a.arn && ARN.test(a.arn) && a.arn.length >= 20, a.arn, `policyArns.${i + 1}.member.arn`, 'Member must have length greater than or equal to 20'));
}

function checkTags(v, tags, transitiveTagKeys) {
  v.check(tags.length <= 50, '[...]', 'tags', 'Member must have length less than or equal to 50');
  tags.forEach((t, i) => {
    const key = t.Key === undefined ? '' : t.Key;
    const value = t.Value === undefined ? '' : t.Value;
    v.length(key, `tags.${i + 1}.member.key`, 1, 128);
    v.check(TAG_TEXT.test(key), key, `tags.${i + 1}.member.key`, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    v.length(value, `tags.${i + 1}.member.value`, 0, 256);
    v.check(TAG_TEXT.test(value), value, `tags.${i + 1}.member.value`, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
  });
  v.check(transitiveTagKeys.length <= 50, '[...]', 'transitiveTagKeys', 'Member must have length less than or equal to 50');
}

function checkSourceIdentity(v, sourceIdentity) {
  if (sourceIdentity === null) return;
  v.length(sourceIdentity, 'sourceIdentity', 2, 64);
  v.check(SESSION_NAME.test(sourceIdentity), sourceIdentity, 'sourceIdentity', 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
}

// Semantic checks after the model's: duplicate tag keys (case-insensitive), transitive keys that
// are not tags, source identity prefix, and the policy document's JSON.
function checkSemantics(p) {
  const seen = new Set();
  for (const t of p.tags) {
    const k = String(t.Key).toLowerCase();
    if (seen.has(k)) return { ok: false, status: 400, code: 'InvalidParameterValue', message: `Duplicate tag keys found. Please note that Tag keys are case insensitive.` };
    seen.add(k);
  }
  for (const k of p.transitiveTagKeys) {
    if (!seen.has(k.toLowerCase())) return { ok: false, status: 400, code: 'InvalidParameterValue', message: 'The specified transitive tag key must be included in the requested tags.' };
  }
  if (p.sourceIdentity && p.sourceIdentity.toLowerCase().startsWith('aws:')) {
    return { ok: false, status: 400, code: 'ValidationError', message: 'Source identity cannot start with the reserved prefix aws:' };
  }
  if (p.policy !== null) {
    let doc = null;
    try { doc = JSON.parse(p.policy); } catch { doc = null; }
    if (!doc || typeof doc !== 'object' || !doc.Statement) {
      return { ok: false, status: 400, code: 'MalformedPolicyDocument', message: 'The policy is not in the valid JSON format.' };
    }
  }
  return null;
}

// Reads and validates AssumeRole's members. Returns {ok:true, params} or an error value.
function assumeRoleParams(params) {
  for (const name of ['RoleArn', 'RoleSessionName']) if (!params.get(name)) return missing(name.charAt(0).toLowerCase() + name.slice(1));
  const p = {
    roleArn: params.get('RoleArn'), roleSessionName: params.get('RoleSessionName'), durationText: params.get('DurationSeconds'),
    policy: params.get('Policy'), policyArns: memberList(params, 'PolicyArns', ['arn']),
    tags: memberList(params, 'Tags', ['Key', 'Value']), transitiveTagKeys: memberList(params, 'TransitiveTagKeys'),
    externalId: params.get('ExternalId'), sourceIdentity: params.get('SourceIdentity'),
  };
  const v = new Violations();
  checkCommon(v, p);
  checkTags(v, p.tags, p.transitiveTagKeys);
  checkSourceIdentity(v, p.sourceIdentity);
  if (p.externalId !== null) {
    v.length(p.externalId, 'externalId', 2, 1224);
    v.check(EXTERNAL_ID.test(p.externalId), p.externalId, 'externalId', 'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*');
  }
  const err = v.error() || checkSemantics(p);
  return err || { ok: true, params: p };
}

function assumeRoleWithWebIdentityParams(params) {
  for (const name of ['RoleArn', 'RoleSessionName', 'WebIdentityToken']) if (!params.get(name)) return missing(name.charAt(0).toLowerCase() + name.slice(1));
  const p = {
    roleArn: params.get('RoleArn'), roleSessionName: params.get('RoleSessionName'), durationText: params.get('DurationSeconds'),
    policy: params.get('Policy'), policyArns: memberList(params, 'PolicyArns', ['arn']), webIdentityToken: params.get('WebIdentityToken'),
    tags: [], transitiveTagKeys: [], sourceIdentity: null,
  };
  const v = new Violations();
  checkCommon(v, p);
  v.length(p.webIdentityToken, 'webIdentityToken', 4, 20000);
  const err = v.error() || checkSemantics(p);
  return err || { ok: true, params: p };
}

module.exports = { assumeRoleParams, assumeRoleWithWebIdentityParams, checkTags, checkSourceIdentity, checkSemantics, Violations };
