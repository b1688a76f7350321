'use strict';
// What STS does for each action once the caller is known: trust-policy checks, duration rules
// (role maximum, one hour when chaining), session tags and source identity (inherited through
// chaining), then a new role session from the principal store.

const { assumeRoleParams, assumeRoleWithWebIdentityParams, checkTags, checkSourceIdentity, Violations } = require('./sts-validation');

function denied(callerArn, action, resource) {
  return { ok: false, status: 403, code: 'AccessDenied', message: `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resource}` };
}

function validationError(message) {
  return { ok: false, status: 400, code: 'ValidationError', message };
}

function durationFor(p, role, chaining) {
  const duration = p.durationText === null ? 3600 : Number(p.durationText);
  if (chaining && duration > 3600) {
    return validationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (duration > role.maxSessionDuration) return validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  return { ok: true, duration: Math.min(duration, chaining ? 3600 : role.maxSessionDuration) };
}

// Packed size as a percentage of the allowed packed policy: an approximation (AWS does not document
// the packing), good enough that huge policies and many tags are refused.
function packedPolicySize(p) {
  const bytes = (p.policy || '').length + p.tags.reduce((n, t) => n + String(t.Key).length + String(t.Value || '').length, 0) +
    p.policyArns.reduce((n, a) => n + a.arn.length, 0);
  return Math.ceil((bytes / 2048) * 100);
}

function sessionAttributes(p, caller, role, callerArn) {
  const trust = role.trust || {};
  const inheritedTags = caller && caller.kind === 'session' ? caller.tags.filter((t) => caller.transitiveTagKeys.includes(t.Key)) : [];
  for (const t of p.tags) {
    if (inheritedTags.some((i) => i.Key.toLowerCase() === String(t.Key).toLowerCase())) {
      return { ok: false, status: 400, code: 'InvalidParameterValue', message: `Cannot pass tag key ${t.Key}: it is already a transitive tag of the calling session.` };
    }
  }
  if (p.tags.length > 0 && !trust.allowTagSession) return denied(callerArn, 'sts:TagSession', role.arn);
  const inheritedSource = caller && caller.kind === 'session' ? caller.sourceIdentity : null;
  if (inheritedSource && p.sourceIdentity && p.sourceIdentity !== inheritedSource) {
    return denied(callerArn, 'sts:SetSourceIdentity', role.arn);
  }
  if (p.sourceIdentity && !trust.allowSourceIdentity) return denied(callerArn, 'sts:SetSourceIdentity', role.arn);
  const size = packedPolicySize(p);
  if (size > 100) {
    return { ok: false, status: 400, code: 'PackedPolicyTooLarge', message: `Packed size of the session policy and tags exceeds the limit: ${size}% of the allowed size.` };
  }
  return {
    ok: true, tags: [...inheritedTags, ...p.tags.map((t) => ({ Key: t.Key, Value: t.Value || '' }))],
    transitiveTagKeys: [...new Set([...inheritedTags.map((t) => t.Key), ...p.transitiveTagKeys])],
    sourceIdentity: p.sourceIdentity || inheritedSource, packedPolicySize: p.policy || p.tags.length || p.policyArns.length ? size : null,
  };
}

function assumeRole(sim, caller, form) {
  const parsed = assumeRoleParams(form);
  if (!parsed.ok) return parsed;
  const p = parsed.params;
  const callerArn = caller.arn;
  const role = sim.principals.roleByArn(p.roleArn);
  const trust = role ? role.trust || {} : {};
  const trusted = role && (trust.principals || []).some((a) => a === '*' || sim.principals.callerArns(caller).includes(a));
  if (!trusted) return denied(callerArn, 'sts:AssumeRole', p.roleArn);
  if (trust.externalId && trust.externalId !== p.externalId) return denied(callerArn, 'sts:AssumeRole', p.roleArn);
  const duration = durationFor(p, role, caller.kind === 'session');
  if (!duration.ok) return duration;
  const attrs = sessionAttributes(p, caller, role, callerArn);
  if (!attrs.ok) return attrs;
  const session = sim.principals.issueSession(role, { sessionName: p.roleSessionName, durationSeconds: duration.duration,
    sourceIdentity: attrs.sourceIdentity, tags: attrs.tags, transitiveTagKeys: attrs.transitiveTagKeys, issuedBy: callerArn });
  return { ok: true, session, packedPolicySize: attrs.packedPolicySize, params: p };
}

// Tags and source identity of AssumeRoleWithWebIdentity come from the token's claims.
function claimAttributes(claims) {
  const tagClaim = claims['https://aws.amazon.com/tags'] || {};
  const principalTags = tagClaim.principal_tags || {};
  const tags = Object.entries(principalTags).map(([Key, values]) => ({ Key, Value: Array.isArray(values) ? values[0] : values }));
  const transitiveTagKeys = tagClaim.transitive_tag_keys || [];
  const sourceIdentity = claims['https://aws.amazon.com/source_identity'] || null;
  const v = new Violations();
  checkTags(v, tags, transitiveTagKeys);
  checkSourceIdentity(v, sourceIdentity);
  return { error: v.error(), tags, transitiveTagKeys, sourceIdentity };
}

async function assumeRoleWithWebIdentity(sim, form) {
  const parsed = assumeRoleWithWebIdentityParams(form);
  if (!parsed.ok) return parsed;
  const p = parsed.params;
  const verified = await sim.webIdentity.verify(p.webIdentityToken);
  if (!verified.ok) return verified;
  const { claims } = verified;
  const role = sim.principals.roleByArn(p.roleArn);
  const rules = role ? (role.trust || {}).webIdentity || [] : [];
  const rule = rules.find((r) => r.issuer === verified.issuer && verified.audiences.includes(r.audience) && (!r.subject || r.subject === claims.sub));
  if (!rule) {
    const audienceKnown = rules.some((r) => r.issuer === verified.issuer);
    if (audienceKnown && !rules.some((r) => verified.audiences.includes(r.audience))) {
      return { ok: false, status: 400, code: 'InvalidIdentityToken', message: 'Incorrect token audience' };
    }
    return { ok: false, status: 403, code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' };
  }
  const fromClaims = claimAttributes(claims);
  if (fromClaims.error) return fromClaims.error;
  const withClaims = { ...p, tags: fromClaims.tags, transitiveTagKeys: fromClaims.transitiveTagKeys, sourceIdentity: fromClaims.sourceIdentity };
  const attrs = sessionAttributes(withClaims, null, role, `arn:${sim.principals.partition}:sts::${sim.principals.accountId}:assumed-role/${role.name}/${p.roleSessionName}`);
  if (!attrs.ok) return attrs.code === 'AccessDenied' ? { ...attrs, message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' } : attrs;
  const duration = durationFor(p, role, false);
  if (!duration.ok) return duration;
  const session = sim.principals.issueSession(role, { sessionName: p.roleSessionName, durationSeconds: duration.duration,
    sourceIdentity: attrs.sourceIdentity, tags: attrs.tags, transitiveTagKeys: attrs.transitiveTagKeys, issuedBy: `${verified.issuer}#${claims.sub}` });
  return { ok: true, session, packedPolicySize: attrs.packedPolicySize, params: withClaims, claims, audience: rule.audience };
}

module.exports = { assumeRole, assumeRoleWithWebIdentity };
